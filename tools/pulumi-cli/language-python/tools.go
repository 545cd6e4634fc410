//go:build tools

// Package tools records the main package that scripts/get-pulumi.sh builds,
// so `go mod tidy` keeps its dependencies in go.mod/go.sum.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
)
