package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/urfave/cli"

	"github.com/smallstep/certificates/ca"
	"github.com/smallstep/certificates/pki"
	"github.com/smallstep/cli-utils/command"
	"github.com/smallstep/cli-utils/errs"
	"github.com/smallstep/cli-utils/fileutil"
	"github.com/smallstep/cli-utils/step"
	"github.com/smallstep/cli-utils/ui"
	"go.step.sm/crypto/pemutil"
)

func healthCommand() cli.Command {
	return cli.Command{
		Name:   "health",
		Usage:  "get the status of the CA",
		Action: cli.ActionFunc(healthAction),
		Flags:  []cli.Flag{caURLFlag, rootFlag, contextFlag},
	}
}

// healthAction prints the status that GET /health returns, "ok" for a
// healthy CA.
func healthAction(ctx *cli.Context) error {
	if err := errs.NumberOfArguments(ctx, 0); err != nil {
		return err
	}
	if err := rejectContextFlag(ctx); err != nil {
		return err
	}
	caURL, root, err := caURLAndRoot(ctx)
	if err != nil {
		return err
	}
	client, err := ca.NewClient(caURL, ca.WithRootFile(root))
	if err != nil {
		return err
	}
	resp, err := client.Health()
	if err != nil {
		return err
	}
	fmt.Println(resp.Status)
	return nil
}

func bootstrapCommand() cli.Command {
	return cli.Command{
		Name:   "bootstrap",
		Usage:  "initialize the environment to use the CA commands",
		Action: command.ActionFunc(bootstrapAction),
		Flags: []cli.Flag{
			caURLFlag,
			cli.StringFlag{Name: "fingerprint", Usage: "The <fingerprint> of the targeted root certificate."},
			cli.BoolFlag{Name: "install", Usage: "Install the root certificate into the system truststore (not supported by this stand-in)."},
			cli.BoolFlag{Name: "force", Usage: "Force the overwrite of files without asking."},
			contextFlag,
		},
	}
}

var fingerprintPattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// bootstrapAction downloads the root certificate whose SHA-256 fingerprint is
// given, and writes it and defaults.json under $STEPPATH.
func bootstrapAction(ctx *cli.Context) error {
	if err := errs.NumberOfArguments(ctx, 0); err != nil {
		return err
	}
	if err := rejectContextFlag(ctx); err != nil {
		return err
	}
	if ctx.Bool("install") {
		// NOTE: step 0.30 installs the root into the system truststore here.
		return errors.New("flag '--install' is not supported by this step test stand-in")
	}
	caURL := ctx.String("ca-url")
	fingerprint := strings.ToLower(ctx.String("fingerprint"))
	switch {
	case caURL == "":
		return errs.RequiredFlag(ctx, "ca-url")
	case fingerprint == "":
		return errs.RequiredFlag(ctx, "fingerprint")
	case !fingerprintPattern.MatchString(fingerprint):
		return errs.InvalidFlagValueMsg(ctx, "fingerprint", fingerprint, "a fingerprint is 64 hexadecimal characters")
	}
	caURL, err := completeCaURL(ctx, caURL)
	if err != nil {
		return err
	}

	// The TLS connection is not verified because the root is not known yet.
	// The ca client checks that the downloaded root has the given fingerprint.
	client, err := ca.NewClient(caURL, ca.WithInsecure())
	if err != nil {
		return err
	}
	resp, err := client.Root(fingerprint)
	if err != nil {
		return fmt.Errorf("error downloading root certificate: %w", err)
	}

	rootFile := pki.GetRootCAPath()
	configFile := step.DefaultsFile()
	for _, dir := range []string{filepath.Dir(rootFile), filepath.Dir(configFile)} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return errs.FileError(err, dir)
		}
	}

	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: resp.RootPEM.Raw})
	if err := fileutil.WriteFile(rootFile, rootPEM, 0o600); err != nil {
		return err
	}
	ui.Printf("The root certificate has been saved in %s.\n", rootFile)

	defaults, err := json.MarshalIndent(struct {
		CA          string `json:"ca-url"`
		Fingerprint string `json:"fingerprint"`
		Root        string `json:"root"`
		Redirect    string `json:"redirect-url"`
	}{caURL, fingerprint, rootFile, ""}, "", "  ")
	if err != nil {
		return fmt.Errorf("error marshaling defaults.json: %w", err)
	}
	if err := fileutil.WriteFile(configFile, defaults, 0o644); err != nil {
		return err
	}
	ui.Printf("The authority configuration has been saved in %s.\n", configFile)
	return nil
}

func fingerprintCommand() cli.Command {
	return cli.Command{
		Name:      "fingerprint",
		Usage:     "print the fingerprint of a certificate",
		ArgsUsage: "<crt-file>",
		Action:    cli.ActionFunc(fingerprintAction),
	}
}

// fingerprintAction prints the SHA-256 of the first certificate's DER bytes
// in lowercase hex.
func fingerprintAction(ctx *cli.Context) error {
	if err := errs.NumberOfArguments(ctx, 1); err != nil {
		return err
	}
	// NOTE: step 0.30 also takes --bundle, --format, --insecure and
	// host:port arguments. This stand-in reads one PEM or DER file.
	cert, err := pemutil.ReadCertificate(ctx.Args().Get(0))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(cert.Raw)
	fmt.Println(hex.EncodeToString(sum[:]))
	return nil
}
