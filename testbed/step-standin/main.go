// Command step is a TEST STAND-IN for the real smallstep step CLI 0.30.x. It
// exists only because the modern step CLI cannot be built on Debian from
// registry packages alone, and stepwizard's tests need something that behaves
// like it. The stepwizard product never knows about or special-cases this
// program: it runs whatever `step` is on PATH, and the tests put this binary
// there.
//
// It covers these commands, built on smallstep's own libraries as Debian sid
// packages them (certificates/pki, certificates/ca, certificates/authority,
// cli-utils ui/fileutil/errs/step/token, go.step.sm/crypto, promptui):
//
//	step version
//	step ca init          standalone deployments, with the upstream flags and prompts
//	step ca provisioner add NAME --type ACME|JWK [duration flags]
//	step ca provisioner update NAME [duration flags]
//	step ca provisioner list
//	step ca health
//	step ca bootstrap --ca-url URL --fingerprint FP [--force]
//	step certificate fingerprint FILE
//
// Every other command fails with an error that names the stand-in. Places
// where it knowingly differs from step 0.30.2 carry a NOTE: comment.
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli"

	"github.com/smallstep/cli-utils/step"
	"github.com/smallstep/cli-utils/ui"
)

// Version is the upstream release this stand-in imitates. The build script
// may override it with -ldflags "-X main.Version=...".
var Version = "0.30.2"

// BuildTime is set by the build script.
var BuildTime = "N/A"

func main() {
	step.Set("Smallstep CLI", Version, BuildTime)
	ui.Init()
	defer ui.Reset()

	app := cli.NewApp()
	app.Name = "step"
	app.HelpName = "step"
	app.Usage = "test stand-in for the smallstep step CLI " + Version
	app.Version = step.Version()
	app.HideVersion = true
	app.Compiled = time.Now()
	app.Before = func(*cli.Context) error {
		return step.Init()
	}
	app.Commands = []cli.Command{
		versionCommand(),
		caCommand(),
		certificateCommand(),
	}
	app.CommandNotFound = func(ctx *cli.Context, name string) {
		fmt.Fprintf(os.Stderr, "'%s %s' is not a step command covered by this test stand-in (see 'step help')\n",
			ctx.App.HelpName, name)
		os.Exit(1)
	}

	if err := app.Run(os.Args); err != nil {
		printError(err)
		os.Exit(1)
	}
}

// printError writes err to stderr the way step does: the error's Message()
// when it has one, the full chain with STEPDEBUG=1, the plain text otherwise.
func printError(err error) {
	var messenger interface{ Message() string }
	switch {
	case os.Getenv("STEPDEBUG") == "1":
		fmt.Fprintf(os.Stderr, "%+v\n", err)
	case errors.As(err, &messenger):
		fmt.Fprintln(os.Stderr, messenger.Message())
	default:
		fmt.Fprintln(os.Stderr, err)
	}
}

func versionCommand() cli.Command {
	return cli.Command{
		Name:  "version",
		Usage: "display the current version of the cli",
		Action: func(*cli.Context) error {
			fmt.Println(step.Version())
			fmt.Printf("Release Date: %s\n", step.ReleaseDate())
			return nil
		},
	}
}

func caCommand() cli.Command {
	return cli.Command{
		Name:  "ca",
		Usage: "initialize and manage a certificate authority",
		Subcommands: cli.Commands{
			initCommand(),
			bootstrapCommand(),
			healthCommand(),
			provisionerCommand(),
		},
	}
}

func certificateCommand() cli.Command {
	return cli.Command{
		Name:  "certificate",
		Usage: "create, revoke, validate, bundle, and otherwise manage certificates",
		Subcommands: cli.Commands{
			fingerprintCommand(),
		},
	}
}
