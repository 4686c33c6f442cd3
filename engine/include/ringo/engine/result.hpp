// Result<T>: a value or an error, shaped like C++23's std::expected (which
// g++ 12 offers only under -std=c++23). The error is a std::error_code plus a
// short context naming what failed ("connect 127.0.0.1:9"), so a message can
// be printed without the caller re-assembling it.
#pragma once

#include <ringo/engine/error.hpp>

#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace ringo {

// The error half of a Result. The context is filled only on the error path,
// so a successful Result never touches the string.
class Error {
public:
    Error() = default;
    Error(std::error_code code, std::string context = {}) : code_(code), context_(std::move(context)) {}
    Error(errc e, std::string context = {}) : code_(make_error_code(e)), context_(std::move(context)) {}

    const std::error_code& code() const noexcept { return code_; }
    const std::string& context() const noexcept { return context_; }
    std::string message() const {
        if (context_.empty()) return code_.message();
        std::string m;
        m.reserve(context_.size() + 64);
        m.append(context_).append(": ").append(code_.message());
        return m;
    }

private:
    std::error_code code_;
    std::string context_;
};

// Thrown by Result::value() on an error; carries the same code and message.
class ResultError : public std::system_error {
public:
    explicit ResultError(const Error& e) : std::system_error(e.code(), e.context()), error_(e) {}
    // The error as thrown: what() already has the code's message appended,
    // so turning it back into a Result must start from this, not from what().
    const Error& error() const noexcept { return error_; }

private:
    Error error_;
};

template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

public:
    using value_type = T;

    Result() requires std::is_default_constructible_v<T> : ok_(true) { new (&value_) T(); }
    Result(T v) : ok_(true) { new (&value_) T(std::move(v)); }
    Result(Error e) : ok_(false) { new (&error_) Error(std::move(e)); }
    // For Result<std::error_code> a bare error_code is the value; wrap
    // it in Error to mean failure.
    Result(std::error_code ec, std::string context = {}) requires(!std::is_same_v<T, std::error_code>)
        : Result(Error(ec, std::move(context))) {}
    Result(errc e, std::string context = {}) requires(!std::is_same_v<T, std::error_code>)
        : Result(Error(e, std::move(context))) {}

    Result(const Result& o) : ok_(o.ok_) {
        if (ok_) new (&value_) T(o.value_);
        else new (&error_) Error(o.error_);
    }
    Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {
        if (ok_) new (&value_) T(std::move(o.value_));
        else new (&error_) Error(std::move(o.error_));
    }
    Result& operator=(Result o) noexcept(std::is_nothrow_move_constructible_v<T>) {
        destroy();
        ok_ = o.ok_;
        if (ok_) new (&value_) T(std::move(o.value_));
        else new (&error_) Error(std::move(o.error_));
        return *this;
    }
    ~Result() { destroy(); }

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }

    T& value() & { check(); return value_; }
    const T& value() const& { check(); return value_; }
    T&& value() && { check(); return std::move(value_); }
    T& operator*() & noexcept { return value_; }
    const T& operator*() const& noexcept { return value_; }
    T&& operator*() && noexcept { return std::move(value_); }
    T* operator->() noexcept { return &value_; }
    const T* operator->() const noexcept { return &value_; }

    // The error code; an empty (success) code when the Result holds a value.
    std::error_code error() const noexcept { return ok_ ? std::error_code{} : error_.code(); }
    const Error& error_info() const noexcept { return ok_ ? no_error() : error_; }
    std::string message() const { return ok_ ? std::string("success") : error_.message(); }

    template <class U>
    T value_or(U&& fallback) const& { return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback)); }

private:
    static const Error& no_error() noexcept {
        static const Error none;
        return none;
    }
    void check() const {
        if (!ok_) throw ResultError(error_);
    }
    void destroy() noexcept {
        if (ok_) value_.~T();
        else error_.~Error();
    }

    union {
        T value_;
        Error error_;
    };
    bool ok_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;
    Result(Error e) : error_(std::move(e)), ok_(false) {}
    Result(std::error_code ec, std::string context = {}) : Result(Error(ec, std::move(context))) {}
    Result(errc e, std::string context = {}) : Result(Error(e, std::move(context))) {}

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void value() const {
        if (!ok_) throw ResultError(error_);
    }
    std::error_code error() const noexcept { return error_.code(); }
    const Error& error_info() const noexcept { return error_; }
    std::string message() const { return ok_ ? std::string("success") : error_.message(); }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace ringo
