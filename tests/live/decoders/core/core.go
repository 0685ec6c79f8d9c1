// Package core decodes one YAML value into the Go type of a Pyroscope config key, with the YAML
// module and prometheus/common version a Pyroscope release builds with (the two mains of
// ../pyroscope-1.18 and ../pyroscope-2.2 pass them in). It is the leaf of what Pyroscope's
// pkg/cfg does at start: a strict decode (KnownFields) of the file into typed fields.
//
// Protocol: one JSON object a line on stdin, {"id":N,"kind":"GoDuration","yaml":"v: 1h\n"};
// one a line on stdout, {"id":N,"ok":true} or {"id":N,"ok":false,"error":"..."}.
package core

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Decode strictly decodes a YAML document into out, as Pyroscope's loader does (KnownFields).
type Decode func(doc []byte, out any) error

type request struct {
	ID   int    `json:"id"`
	Kind string `json:"kind"`
	YAML string `json:"yaml"`
}

type response struct {
	ID    int    `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Run answers every request of stdin; promDuration is a pointer to a zero model.Duration
// wrapper made by the caller (prometheus/common differs by release).
func Run(name string, decode Decode, promDuration func() any) {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintf(os.Stderr, "%s: bad request %q: %v\n", name, in.Text(), err)
			os.Exit(2)
		}
		err := decodeKind(decode, promDuration, req.Kind, []byte(req.YAML))
		resp := response{ID: req.ID, OK: err == nil}
		if err != nil {
			resp.Error = err.Error()
		}
		if err := enc.Encode(resp); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil && err != io.EOF {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
}

// The Go types behind the release crate's KeyKind (crates/release/src/kind.rs).
func decodeKind(decode Decode, promDuration func() any, kind string, doc []byte) error {
	switch kind {
	case "Bool":
		return decode(doc, &struct {
			V bool `yaml:"v"`
		}{})
	case "Int":
		return decode(doc, &struct {
			V int `yaml:"v"`
		}{})
	case "Float":
		return decode(doc, &struct {
			V float64 `yaml:"v"`
		}{})
	case "String":
		return decode(doc, &struct {
			V string `yaml:"v"`
		}{})
	case "GoDuration":
		return decode(doc, &struct {
			V time.Duration `yaml:"v"`
		}{})
	case "StringList":
		return decode(doc, &struct {
			V []string `yaml:"v"`
		}{})
	case "GoDurationList":
		return decode(doc, &struct {
			V []time.Duration `yaml:"v"`
		}{})
	case "PrometheusDuration":
		return decode(doc, promDuration())
	case "Document":
		// A whole config file: YAML the release's module reads, into a generic mapping (the
		// keys are not checked: that needs Pyroscope's own structs).
		return decode(doc, &map[string]any{})
	}
	return fmt.Errorf("unknown kind %q", kind)
}
