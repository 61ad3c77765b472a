// Package loadtest is cmd/xuqm-load: it loads a running server the way its users do, over
// loopback only, and reports what it measured.
//
// Users log in through POST /api/im/auth/login signed with the app's AppSecret (the demo
// app ak_demo_chat by default), each sender with its own IM token. Sends are due by the
// clock (message k at start + k/rate, see Schedule), message k goes to receiver k mod N,
// each carries a clientMsgId and its own send time in its text, and a Ledger follows every
// message from send to acknowledgement to each delivery, so that lost, duplicated and
// misrouted messages are told apart. Only messages sent inside the measured window (after
// the warm-up) count. CPU and RSS come from /proc: the server's by its pid, PostgreSQL's
// over a postmaster and its children.
//
// Scenarios: OneToOne, Group (every member online; latency to the last member), Idle
// (WebSockets held by worker processes, server RSS per connection), UpdateChecks (against
// /healthz) and, after Prefill has loaded history straight into the database, one-to-one
// again. Bench starts PostgreSQL and the server binary for `make bench`.
package loadtest
