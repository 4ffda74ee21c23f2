// Command noopserver answers every request 202 and persists nothing. It is
// the baseline of `make bench` (relayd's durable ingest is reported as a
// ratio of its rate) and, with -log, the loopback sink of the README's tour
// (`make sink`). With -fsync DIR it is the durable ceiling instead: every
// body is group-committed to a file in DIR before the answer (fsync.go).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/valyala/fasthttp"
)

func main() {
	addrs := flag.String("listen", "127.0.0.1:0", "comma-separated addresses")
	verbose := flag.Bool("log", false, "print one line per request")
	fsyncDir := flag.String("fsync", "", "append bodies to a file in this directory, fdatasynced before each answer")
	flag.Parse()
	var durable *groupLog
	if *fsyncDir != "" {
		var err error
		if durable, err = openGroupLog(*fsyncDir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	answer := []byte(`{"result":"OK","id":"0123456789abcdefghijklmnopqrstuv","route":"bench","destinations":["sink"]}`)
	handler := func(ctx *fasthttp.RequestCtx) {
		if *verbose {
			log.Printf("%s %s %s id=%s attempt=%s %d bytes: %.200q", ctx.LocalAddr(), ctx.Method(), ctx.RequestURI(),
				ctx.Request.Header.Peek("X-Relay-Id"), ctx.Request.Header.Peek("X-Relay-Attempt"),
				len(ctx.PostBody()), ctx.PostBody())
		}
		if durable != nil {
			durable.append(ctx.PostBody())
		}
		ctx.SetStatusCode(fasthttp.StatusAccepted)
		ctx.SetContentType("application/json")
		ctx.SetBody(answer)
	}
	errc := make(chan error)
	for _, a := range strings.Split(*addrs, ",") {
		ln, err := net.Listen("tcp", strings.TrimSpace(a))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().String())
		go func() { errc <- (&fasthttp.Server{Handler: handler}).Serve(ln) }()
	}
	fmt.Fprintln(os.Stderr, <-errc)
	os.Exit(1)
}
