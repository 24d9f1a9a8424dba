//go:build tools

// Package tools pins the etcd server that test/cluster/build.sh builds (go.etcd.io/etcd/server/v3 is
// the etcd binary's own main package since 3.5).
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
