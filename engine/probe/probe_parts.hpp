// The probe's parts, each in its own file, assembled by probe.cpp:
//
//   probe_sandbox.cpp    sysctls, seccomp, the io_uring_enter(-1) test; why a setup failed
//   probe_uring.cpp      the engine's ring ladder, feature flags, opcodes, setup flags
//   probe_ops.cpp        round trips of the ops the engine needs
//   probe_multishot.cpp  multishot accept/recv, buffer rings, bundles
//   probe_rings.cpp      SEND_ZC, registered ring fd, fixed files, MSG_RING
//   probe_epoll.cpp      epoll and epoll_pwait2
//   verdict.cpp          decide(): what the engine does with all that
#pragma once

#include "engine/probe/probe_util.hpp"

#include <ringo/engine/probe.hpp>

#include <string>
#include <vector>

namespace ringo::detail::probe {

SandboxReport probe_sandbox();
// Why io_uring_setup failed with err, in words, from the evidence.
std::string explain_setup_error(int err, const ProbeReport& report);

// Fills report.uring (all but usable/reason) and the setup-flag features.
// Returns the flags of the engine ladder step that set up, or -1 if none did.
long probe_uring_setup(ProbeReport& report);
void probe_setup_flags(ProbeReport& report);
void probe_opcodes(ProbeReport& report, Ring& ring);

// Nop, accept, connect, send, recv, cancel, close, in that order, on a ring
// set up with `flags`.
std::vector<RoundTrip> probe_round_trips(unsigned flags);

// Each proves one behaviour on a throw-away ring set up with `flags`.
FeatureStatus probe_multishot_accept(unsigned flags);
FeatureStatus probe_buf_ring(unsigned flags);
FeatureStatus probe_multishot_recv(unsigned flags);
FeatureStatus probe_recvsend_bundle(unsigned flags);
FeatureStatus probe_multishot_recv_limit(unsigned flags);
FeatureStatus probe_no_iowait(unsigned flags);
FeatureStatus probe_send_zc(unsigned flags);
FeatureStatus probe_registered_ring_fd(unsigned flags);
FeatureStatus probe_fixed_files(unsigned flags);
FeatureStatus probe_msg_ring(unsigned flags);

EpollReport probe_epoll();

}  // namespace ringo::detail::probe
