-- wrk script of the issue #10 benchmarks (wrk_bench_test.go, backlog_bench_test.go):
-- every request a POST of a 512-byte JSON body, as relayd's ingress takes them.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"pad":"' .. string.rep("x", 502) .. '"}'
