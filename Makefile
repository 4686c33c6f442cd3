# Thin wrapper so `make demo` and `make test` work; the scripts do the work.
.PHONY: help demo test test-quick clean

help:
	@echo "make demo        install what is missing, build (release), run the echo demo"
	@echo "make test        build and run every test: normal (each I/O area on both backends), ASan+UBSan, fuzz"
	@echo "make test-quick  build and run the tests in the normal build only"
	@echo "make clean       remove build/ and build-asan/"

demo:
	scripts/demo

test:
	scripts/test

test-quick:
	scripts/test --quick

clean:
	rm -rf build build-asan
