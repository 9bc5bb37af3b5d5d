package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/manifoldco/promptui"
	"github.com/urfave/cli"

	"github.com/smallstep/certificates/authority/config"
	"github.com/smallstep/certificates/cas/apiv1"
	"github.com/smallstep/certificates/db"
	"github.com/smallstep/certificates/pki"
	"github.com/smallstep/cli-utils/errs"
	"github.com/smallstep/cli-utils/ui"
	"github.com/smallstep/nosql"
)

// bboltFileName is the database file inside $STEPPATH/db. Debian builds
// smallstep/nosql with the bbolt and MySQL drivers only, so a step-ca built
// from Debian rejects the "badgerv2" database that upstream step writes.
const bboltFileName = "bbolt.db"

func initCommand() cli.Command {
	return cli.Command{
		Name:   "init",
		Usage:  "initialize the CA PKI",
		Action: cli.ActionFunc(initAction),
		Flags: []cli.Flag{
			cli.StringFlag{Name: "deployment-type", Usage: "The <name> of the deployment type: standalone, linked or hosted."},
			cli.StringFlag{Name: "name", Usage: "The <name> of the new PKI."},
			cli.StringSliceFlag{Name: "dns", Usage: "The DNS <name> or IP address of the new CA; repeat the flag or use a comma list."},
			cli.StringFlag{Name: "address", Usage: "The <address> that the new CA will listen at."},
			cli.StringFlag{Name: "provisioner", Usage: "The <name> of the first provisioner."},
			cli.StringFlag{Name: "password-file", Usage: "The path to the <file> containing the password to encrypt the keys."},
			cli.StringFlag{Name: "provisioner-password-file", Usage: "The path to the <file> containing the password to encrypt the provisioner key."},
			cli.StringFlag{Name: "with-ca-url", Usage: "<URI> of the Step Certificate Authority to write in defaults.json"},
			cli.BoolFlag{Name: "no-db", Usage: "Generate a CA configuration without the DB stanza. No persistence layer."},
			cli.BoolFlag{Name: "remote-management", Usage: "Enable Remote Management. Defaults to false."},
			cli.BoolFlag{Name: "acme", Usage: "Create a default ACME provisioner. Defaults to false."},
			cli.StringFlag{Name: "admin-subject", Usage: "The admin <subject> of the first super admin; needs --remote-management."},
			contextFlag,
		},
	}
}

func initAction(ctx *cli.Context) error {
	if err := checkCryptoRand(); err != nil {
		return err
	}
	if err := rejectContextFlag(ctx); err != nil {
		return err
	}

	noDB := ctx.Bool("no-db")
	remoteManagement := ctx.Bool("remote-management")
	acme := ctx.Bool("acme")
	adminSubject := ctx.String("admin-subject")
	switch {
	case remoteManagement && noDB:
		return errs.IncompatibleFlagWithFlag(ctx, "remote-management", "no-db")
	case acme && noDB:
		return errs.IncompatibleFlagWithFlag(ctx, "acme", "no-db")
	case adminSubject != "" && !remoteManagement:
		return errors.New("flag '--admin-subject' is only supported when '--remote-management' is enabled")
	}

	var password string
	if file := ctx.String("password-file"); file != "" {
		b, err := readPasswordFile(file)
		if err != nil {
			return err
		}
		password = string(b)
	}
	var provisionerPassword []byte
	if file := ctx.String("provisioner-password-file"); file != "" {
		b, err := readPasswordFile(file)
		if err != nil {
			return err
		}
		provisionerPassword = b
	}

	deploymentType, err := selectDeploymentType(ctx)
	if err != nil {
		return err
	}
	if deploymentType != pki.StandaloneDeployment {
		// NOTE: step 0.30 also sets up linked and hosted deployments, which
		// need a smallstep account. This stand-in covers standalone only.
		return fmt.Errorf("deployment type %q is not supported by this step test stand-in; use standalone", deploymentType.String())
	}

	ui.Println("What would you like to name your new PKI?", ui.WithValue(ctx.String("name")))
	name, err := ui.Prompt("(e.g. Smallstep)", ui.WithValidateNotEmpty(), ui.WithValue(ctx.String("name")))
	if err != nil {
		return err
	}

	ui.Println("What DNS names or IP addresses will clients use to reach your CA?",
		ui.WithSliceValue(ctx.StringSlice("dns")))
	dnsValue, err := ui.Prompt("(e.g. ca.example.com[,10.1.2.3,etc.])", ui.WithSliceValue(ctx.StringSlice("dns")))
	if err != nil {
		return err
	}
	dnsNames, err := parseDNSNames(dnsValue)
	if err != nil {
		return err
	}

	ui.Println("What IP and port will your new CA bind to? (:443 will bind to 0.0.0.0:443)", ui.WithValue(ctx.String("address")))
	address, err := ui.Prompt("(e.g. :443 or 127.0.0.1:443)",
		ui.WithValidateFunc(ui.Address()), ui.WithValue(ctx.String("address")))
	if err != nil {
		return err
	}

	ui.Println("What would you like to name the CA's first provisioner?", ui.WithValue(ctx.String("provisioner")))
	provisionerName, err := ui.Prompt("(e.g. you@smallstep.com)",
		ui.WithValidateNotEmpty(), ui.WithValue(ctx.String("provisioner")))
	if err != nil {
		return err
	}

	options := []pki.Option{
		pki.WithAddress(address),
		pki.WithCaURL(ctx.String("with-ca-url")),
		pki.WithDNSNames(dnsNames),
		pki.WithDeploymentType(deploymentType),
		pki.WithProvisioner(provisionerName),
		pki.WithSuperAdminSubject(adminSubject),
	}
	if noDB {
		options = append(options, pki.WithNoDB())
	}
	// With remote management the pki package enables the admin API and, while
	// saving, stores the provisioners and the super admin in the database
	// instead of ca.json, as step 0.30 does.
	if remoteManagement {
		options = append(options, pki.WithAdmin())
	}
	if acme {
		options = append(options, pki.WithACME())
	}

	ui.Println("Choose a password for your CA keys and first provisioner.", ui.WithValue(password))

	casOptions := apiv1.Options{Type: apiv1.SoftCAS, IsCreator: true}
	p, err := pki.New(casOptions, options...)
	if err != nil {
		return err
	}

	pass, err := ui.PromptPasswordGenerate("[leave empty and we'll generate one]", ui.WithRichPrompt(), ui.WithValue(password))
	if err != nil {
		return err
	}

	if len(provisionerPassword) > 0 {
		err = p.GenerateKeyPairs(provisionerPassword)
	} else {
		err = p.GenerateKeyPairs(pass)
	}
	if err != nil {
		return err
	}

	ui.Println()
	ui.Print("Generating root certificate... ")
	root, err := p.GenerateRootCertificate(name, name, name, pass)
	if err != nil {
		return err
	}
	ui.Println("done!")

	ui.Printf("Generating intermediate certificate... ")
	if err := p.GenerateIntermediateCertificate(name, name, name, root, pass); err != nil {
		return err
	}
	ui.Println("done!")

	return p.Save(useBboltDatabase)
}

// useBboltDatabase replaces the "badgerv2" database that the pki package
// writes with a bbolt file under $STEPPATH/db, and creates that file.
//
// pki.Save calls os.MkdirAll on the data source after this option runs. With
// the file already present that call fails, and Save ignores the failure, so
// bbolt.db stays a file instead of becoming an empty directory.
//
// NOTE: upstream step 0.30.2 writes {"type": "badgerv2", "dataSource": "$STEPPATH/db"}.
func useBboltDatabase(cfg *config.Config) error {
	if cfg.DB == nil {
		return nil
	}
	dir := pki.GetDBPath()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errs.FileError(err, dir)
	}
	cfg.DB = &db.Config{Type: nosql.BBoltDriver, DataSource: filepath.Join(dir, bboltFileName)}

	database, err := nosql.New(cfg.DB.Type, cfg.DB.DataSource)
	if err != nil {
		return fmt.Errorf("error creating database %s: %w", cfg.DB.DataSource, err)
	}
	if err := database.Close(); err != nil {
		return fmt.Errorf("error closing database %s: %w", cfg.DB.DataSource, err)
	}
	return os.Chmod(cfg.DB.DataSource, 0o600)
}

// selectDeploymentType returns the --deployment-type value, standalone when
// every flag of a non-interactive init is given, or the user's menu choice.
func selectDeploymentType(ctx *cli.Context) (pki.DeploymentType, error) {
	switch value := strings.ToLower(ctx.String("deployment-type")); value {
	case "standalone":
		return pki.StandaloneDeployment, nil
	case "linked":
		return pki.LinkedDeployment, nil
	case "hosted":
		return pki.HostedDeployment, nil
	case "":
		if isNonInteractiveInit(ctx) {
			return pki.StandaloneDeployment, nil
		}
	default:
		return 0, errs.InvalidFlagValue(ctx, "deployment-type", value, "standalone, linked or hosted")
	}

	type deployment struct {
		Name        string
		Description string
		Value       pki.DeploymentType
	}
	deployments := []deployment{
		{"Standalone", "step-ca instance you run yourself", pki.StandaloneDeployment},
		{"Linked", "standalone, plus cloud configuration, reporting & alerting", pki.LinkedDeployment},
		{"Hosted", "fully-managed step-ca cloud instance run for you by smallstep", pki.HostedDeployment},
	}
	templates := &promptui.SelectTemplates{
		Active:   ui.IconSelect + ` {{ printf "%s - %s" .Name .Description | underline }}`,
		Inactive: "  {{ .Name }} - {{ .Description }}",
		Selected: fmt.Sprintf(`{{ %q | green }} {{ "Deployment Type:" | bold }} {{ .Name }}`, ui.IconGood),
	}
	i, _, err := ui.Select("What deployment type would you like to configure?", deployments,
		ui.WithSelectTemplates(templates))
	if err != nil {
		return 0, err
	}
	return deployments[i].Value, nil
}

// isNonInteractiveInit reports whether the flags of a non-interactive
// standalone init are given. Like step 0.30 it leaves --dns out of the check:
// step reads that list flag as a string, which is never empty, so a missing
// --dns skips the deployment-type menu and only prompts for the DNS names.
func isNonInteractiveInit(ctx *cli.Context) bool {
	for _, name := range []string{"name", "password-file", "address", "provisioner"} {
		if ctx.String(name) == "" {
			return false
		}
	}
	return true
}

// parseDNSNames splits a comma or space separated list of DNS names and IP
// addresses, validates each one and turns "[::1]" into "::1".
func parseDNSNames(value string) ([]string, error) {
	validate := ui.DNS()
	var names []string
	for _, name := range strings.Split(strings.ReplaceAll(value, " ", ","), ",") {
		if name == "" {
			continue
		}
		if err := validate(name); err != nil {
			return nil, err
		}
		if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
			if ip := net.ParseIP(name[1 : len(name)-1]); ip != nil {
				name = ip.String()
			}
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, errors.New("dns must not be empty")
	}
	return names, nil
}

// checkCryptoRand fails when the system's random number generator cannot be read.
func checkCryptoRand() error {
	buf := make([]byte, 64)
	if _, err := io.ReadFull(rand.Reader, buf); err != nil {
		return fmt.Errorf("crypto/rand is unavailable: Read() failed with %w", err)
	}
	return nil
}
