package realtime

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// bufferSize is the size of a conn's read and write buffers. net/http hands a hijacked
// connection 4 KiB buffers each; frames are small, and an idle conn should cost little.
const bufferSize = 512

// smallBuffers gives the WebSocket small bufio buffers in place of net/http's, and keeps
// the connection and the reader for the conn's idle wait (conn.waitIdle).
type smallBuffers struct {
	http.ResponseWriter
	nc    net.Conn
	br    *bufio.Reader
	ahead bool // bytes were read ahead of the upgrade
}

func (s *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	// Bytes the server read ahead (the start of the first frame) must be in the new
	// reader's buffer: coder/websocket keeps only what is buffered when it takes over.
	n := brw.Reader.Buffered()
	if n == 0 {
		s.nc, s.br = nc, bufio.NewReaderSize(nc, bufferSize)
		return nc, bufio.NewReadWriter(s.br, bufio.NewWriterSize(nc, bufferSize)), nil
	}
	ahead, _ := brw.Reader.Peek(n)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), nc), max(bufferSize, n))
	if _, err := br.Peek(n); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	s.nc, s.br, s.ahead = nc, br, true
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(nc, bufferSize)), nil
}
