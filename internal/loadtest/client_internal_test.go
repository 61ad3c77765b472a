package loadtest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestRawPoolPostsAndKeepsItsConnections(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method != http.MethodPost || r.URL.RawQuery != "appId=a" || r.Header.Get("Authorization") != "Bearer t" ||
			r.Header.Get("Content-Type") != "application/json" || string(body) != `{"k":1}`:
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte(`{"code":418,"message":"not the request sent"}`))
		case r.URL.Path == "/refused":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"code":403,"message":"blocked"}`))
		case r.URL.Path == "/closing":
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte(`{"code":200,"data":{}}`))
		default:
			_, _ = w.Write([]byte(`{"code":200,"data":{}}`))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	p, err := newRawPool(srv.URL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	ctx := context.Background()
	post := func(path string) error {
		return p.post(ctx, path+"?appId=a", []byte(`{"k":1}`), "Authorization", "Bearer t")
	}
	for range 3 {
		if err := post("/send"); err != nil {
			t.Fatal(err)
		}
	}
	var se *StatusError
	if err := post("/refused"); !errors.As(err, &se) || se.Code != http.StatusForbidden || se.Message != "blocked" {
		t.Fatalf("refused: %v, want a 403 StatusError saying blocked", err)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for four requests one after another, want 1", n)
	}
	// An answer that closes its connection: the next request dials another.
	if err := post("/closing"); err != nil {
		t.Fatal(err)
	}
	if err := post("/send"); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections after one closed, want 2", n)
	}
}
