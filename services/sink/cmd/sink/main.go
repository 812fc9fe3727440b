// Command sink runs the newsflow sink stage.
package main

import (
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/sink"
)

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	stage.Main("sink", func(args []string, getenv func(string) string) (sink.Config, error) {
		c, err := sink.ParseConfig(args, getenv)
		c.Version = version
		return c, err
	}, sink.Run)
}
