package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"unicode"

	"github.com/urfave/cli"

	"github.com/smallstep/cli-utils/errs"
	"github.com/smallstep/cli-utils/step"
)

// Flags shared by the commands that talk to a running CA. Like step, their
// defaults come from $STEPPATH/config/defaults.json (see flagOrDefault).
var (
	caURLFlag = cli.StringFlag{
		Name:  "ca-url",
		Usage: "<URI> of the targeted Step Certificate Authority.",
	}
	rootFlag = cli.StringFlag{
		Name:  "root",
		Usage: "The path to the PEM <file> used as the root certificate authority.",
	}
	caConfigFlag = cli.StringFlag{
		Name:  "ca-config",
		Usage: "The <file> containing the CA configuration, used when the admin API is unreachable.",
	}
	contextFlag = cli.StringFlag{
		Name:  "context",
		Usage: "The context <name> to apply for the given command (not supported by this stand-in).",
	}
)

// readDefaults returns the key/value pairs of the defaults.json that step
// reads, or an empty map when the file does not exist.
func readDefaults() (map[string]interface{}, error) {
	values := map[string]interface{}{}
	b, err := os.ReadFile(step.DefaultsFile())
	if os.IsNotExist(err) {
		return values, nil
	}
	if err != nil {
		return nil, errs.FileError(err, step.DefaultsFile())
	}
	if err := json.Unmarshal(b, &values); err != nil {
		return nil, fmt.Errorf("error parsing %s: %w", step.DefaultsFile(), err)
	}
	return values, nil
}

// flagOrDefault returns the flag's value when it was given on the command
// line, else the same key from defaults.json, else the flag's own default.
func flagOrDefault(ctx *cli.Context, name string) (string, error) {
	if ctx.IsSet(name) {
		return ctx.String(name), nil
	}
	defaults, err := readDefaults()
	if err != nil {
		return "", err
	}
	if v, ok := defaults[name].(string); ok && v != "" {
		return v, nil
	}
	return ctx.String(name), nil
}

// caURLFromFlags returns the --ca-url value (or its defaults.json value) as an
// https URL. It fails with step's "requires the '--ca-url' flag" error when
// neither is set.
func caURLFromFlags(ctx *cli.Context) (string, error) {
	caURL, err := flagOrDefault(ctx, "ca-url")
	if err != nil {
		return "", err
	}
	if caURL == "" {
		return "", errs.RequiredFlag(ctx, "ca-url")
	}
	return completeCaURL(ctx, caURL)
}

// completeCaURL adds the https scheme to a bare host[:port] and rejects any
// other scheme, because a CA is only reached over TLS.
func completeCaURL(ctx *cli.Context, caURL string) (string, error) {
	if !strings.Contains(caURL, "://") {
		caURL = "https://" + caURL
	}
	u, err := url.Parse(caURL)
	if err != nil || u.Host == "" {
		return "", errs.InvalidFlagValue(ctx, "ca-url", caURL, "")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", errs.InvalidFlagValueMsg(ctx, "ca-url", caURL, "the URL must use the https scheme")
	}
	return u.String(), nil
}

// rootFromFlags returns --root, its defaults.json value, or the root
// certificate under $STEPPATH/certs when that file exists.
func rootFromFlags(ctx *cli.Context) (string, error) {
	root, err := flagOrDefault(ctx, "root")
	if err != nil {
		return "", err
	}
	if root != "" {
		return root, nil
	}
	root = step.Abs("certs/root_ca.crt")
	if _, err := os.Stat(root); err != nil {
		return "", errs.RequiredFlag(ctx, "root")
	}
	return root, nil
}

// readPasswordFile returns the content of a password file without trailing
// whitespace, as step does.
func readPasswordFile(filename string) ([]byte, error) {
	b, err := os.ReadFile(filename)
	if err != nil {
		return nil, errs.FileError(err, filename)
	}
	return bytes.TrimRightFunc(b, unicode.IsSpace), nil
}

// rejectContextFlag fails when --context is given, because this stand-in
// keeps a single authority in $STEPPATH.
func rejectContextFlag(ctx *cli.Context) error {
	if ctx.IsSet("context") {
		// NOTE: step 0.30 supports contexts ($STEPPATH/contexts.json), but this stand-in does not.
		return fmt.Errorf("flag '--context' is not supported by this step test stand-in")
	}
	return nil
}
