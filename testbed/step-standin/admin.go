package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"time"

	"github.com/urfave/cli"

	"github.com/smallstep/certificates/api"
	"github.com/smallstep/certificates/authority"
	"github.com/smallstep/certificates/authority/config"
	"github.com/smallstep/certificates/authority/provisioner"
	"github.com/smallstep/certificates/ca"
	"github.com/smallstep/certificates/pki"
	"github.com/smallstep/cli-utils/errs"
	"github.com/smallstep/cli-utils/step"
	"github.com/smallstep/cli-utils/token"
	"github.com/smallstep/cli-utils/token/provision"
	"github.com/smallstep/cli-utils/ui"
	"github.com/smallstep/linkedca"
	"go.step.sm/crypto/jose"
	"go.step.sm/crypto/keyutil"
	"go.step.sm/crypto/randutil"
)

// Flags that authenticate an admin against the CA's admin API.
var adminFlags = []cli.Flag{
	cli.StringFlag{Name: "admin-subject", Usage: "The admin <subject> to use for generating admin credentials."},
	cli.StringFlag{Name: "admin-provisioner", Usage: "The <name> of the JWK provisioner used to issue admin credentials."},
	cli.StringFlag{Name: "admin-password-file", Usage: "The path to the <file> containing the password to decrypt the admin provisioner key."},
	caURLFlag,
	rootFlag,
	caConfigFlag,
	contextFlag,
}

// provisionerClient is the part of the admin API used by `step ca provisioner`,
// served either by a running CA or by editing ca.json.
type provisionerClient interface {
	CreateProvisioner(prov *linkedca.Provisioner) (*linkedca.Provisioner, error)
	GetProvisioner(opts ...ca.ProvisionerOption) (*linkedca.Provisioner, error)
	UpdateProvisioner(name string, prov *linkedca.Provisioner) error
}

// newProvisionerClient probes the CA's admin API the way step 0.30 does. When
// the CA cannot be reached, or returns that the admin API is not enabled, the
// changes go to ca.json. When the API requires credentials, it returns an
// authenticated admin client.
func newProvisionerClient(ctx *cli.Context) (provisionerClient, error) {
	caURL, root, err := caURLAndRoot(ctx)
	if err != nil {
		return nil, fmt.Errorf("error generating admin client: %w", err)
	}
	probe, err := ca.NewAdminClient(caURL, ca.WithRootFile(root))
	if err != nil {
		return nil, fmt.Errorf("error generating admin client: %w", err)
	}

	var netErr *net.OpError
	err = probe.IsEnabled()
	switch {
	case errors.As(err, &netErr) || errors.Is(err, ca.ErrAdminAPINotImplemented):
		cfgFile, err := flagOrDefault(ctx, "ca-config")
		if err != nil {
			return nil, err
		}
		if cfgFile == "" {
			cfgFile = step.CaConfigFile()
		}
		ui.PrintSelected("CA Configuration", cfgFile)
		cfg, err := config.LoadConfiguration(cfgFile)
		if err != nil {
			return nil, fmt.Errorf("error loading configuration: %w", err)
		}
		// Skip validation because full validation would need every feature
		// of step-ca just to edit provisioners, as in step 0.30.
		cfg.SkipValidation = true
		ui.Println()
		return newConfigFileClient(cfg, cfgFile)
	case errors.Is(err, ca.ErrAdminAPINotAuthorized):
		return newAdminClient(ctx, caURL, root)
	case err != nil:
		return nil, err
	default:
		// NOTE: step 0.30 returns no client here and would crash. An admin
		// API that accepts requests without credentials is treated as one
		// that requires them.
		return newAdminClient(ctx, caURL, root)
	}
}

// caURLAndRoot returns the CA URL and root certificate file from the flags or
// defaults.json.
func caURLAndRoot(ctx *cli.Context) (caURL, root string, err error) {
	if caURL, err = caURLFromFlags(ctx); err != nil {
		return "", "", err
	}
	if root, err = rootFromFlags(ctx); err != nil {
		return "", "", err
	}
	return caURL, root, nil
}

// newAdminClient logs in to the admin API without stored credentials. It
// signs a one-time token with the JWK provisioner's key, which the admin
// password decrypts. The CA then signs a certificate for the admin subject,
// and every admin request carries that certificate (x5c header).
func newAdminClient(ctx *cli.Context, caURL, root string) (*ca.AdminClient, error) {
	ui.Printf("No admin credentials found. You must login to execute admin commands.\n")

	client, err := ca.NewClient(caURL, ca.WithRootFile(root))
	if err != nil {
		return nil, err
	}
	subject := ctx.String("admin-subject")
	if subject == "" {
		subject, err = ui.Prompt("Please enter admin name/subject (e.g., name@example.com)", ui.WithValidateNotEmpty())
		if err != nil {
			return nil, err
		}
	}

	ott, err := adminSignToken(ctx, caURL, root, subject)
	if err != nil {
		return nil, err
	}

	adminKey, err := keyutil.GenerateDefaultKey()
	if err != nil {
		return nil, err
	}
	template := &x509.CertificateRequest{Subject: pkix.Name{CommonName: subject}}
	addSubjectAlternativeName(template, subject)
	der, err := x509.CreateCertificateRequest(rand.Reader, template, adminKey)
	if err != nil {
		return nil, fmt.Errorf("error creating admin certificate request: %w", err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("error parsing admin certificate request: %w", err)
	}

	resp, err := client.Sign(&api.SignRequest{
		CsrPEM: api.CertificateRequest{CertificateRequest: csr},
		OTT:    ott,
	})
	if err != nil {
		return nil, err
	}
	chainPEM := resp.CertChainPEM
	if len(chainPEM) == 0 {
		chainPEM = []api.Certificate{resp.ServerPEM, resp.CaPEM}
	}
	chain := make([]*x509.Certificate, len(chainPEM))
	for i, c := range chainPEM {
		chain[i] = c.Certificate
	}

	return ca.NewAdminClient(caURL, ca.WithRootFile(root), ca.WithAdminX5C(chain, adminKey, ""))
}

// addSubjectAlternativeName puts the subject into the matching SAN list of
// the request: IP address, email address, URI or DNS name.
func addSubjectAlternativeName(csr *x509.CertificateRequest, subject string) {
	if ip := net.ParseIP(subject); ip != nil {
		csr.IPAddresses = append(csr.IPAddresses, ip)
		return
	}
	if addr, err := mail.ParseAddress(subject); err == nil && addr.Address == subject {
		csr.EmailAddresses = append(csr.EmailAddresses, subject)
		return
	}
	if u, err := url.Parse(subject); err == nil && u.Scheme != "" && u.Host != "" {
		csr.URIs = append(csr.URIs, u)
		return
	}
	csr.DNSNames = append(csr.DNSNames, subject)
}

// adminSignToken chooses the admin provisioner (by --admin-provisioner or a
// menu of every provisioner), decrypts its key and returns a sign token for
// the subject.
func adminSignToken(ctx *cli.Context, caURL, root, subject string) (string, error) {
	provisioners, err := pki.GetProvisioners(caURL, root)
	if err != nil {
		return "", err
	}
	chosen, err := chooseAdminProvisioner(ctx, provisioners)
	if err != nil {
		return "", err
	}

	jwkProvisioner, ok := chosen.(*provisioner.JWK)
	switch {
	case chosen.GetType() == provisioner.TypeACME:
		return "", errors.New("step ACME provisioners do not support token auth flows")
	case !ok:
		// NOTE: step 0.30 also logs in with OIDC, X5C and other provisioner
		// types. This stand-in supports JWK provisioners only.
		return "", fmt.Errorf("provisioner %q of type %s is not supported by this step test stand-in; choose a JWK provisioner",
			chosen.GetName(), chosen.GetType())
	}

	key, err := decryptProvisionerKey(ctx, caURL, root, jwkProvisioner)
	if err != nil {
		return "", err
	}

	audience, err := url.Parse(caURL)
	if err != nil {
		return "", errs.InvalidFlagValue(ctx, "ca-url", caURL, "")
	}
	audience = audience.ResolveReference(&url.URL{Path: "/1.0/sign"})
	jti, err := randutil.Hex(32)
	if err != nil {
		return "", err
	}
	now := time.Now()
	tok, err := provision.New(subject,
		token.WithIssuer(jwkProvisioner.Name),
		token.WithAudience(audience.String()),
		token.WithKid(jwkProvisioner.Key.KeyID),
		token.WithRootCA(root),
		token.WithSANS([]string{subject}),
		token.WithValidity(now, now.Add(5*time.Minute)),
		token.WithJWTID(jti),
	)
	if err != nil {
		return "", err
	}
	return tok.SignedString(key.Algorithm, key.Key)
}

// chooseAdminProvisioner returns the provisioner named by --admin-provisioner
// or prompts the user to pick one from a menu of every provisioner.
func chooseAdminProvisioner(ctx *cli.Context, provisioners provisioner.List) (provisioner.Interface, error) {
	if len(provisioners) == 0 {
		return nil, errors.New("cannot create a new token: the CA does not have any provisioner configured")
	}
	if name := ctx.String("admin-provisioner"); name != "" {
		var matching provisioner.List
		for _, p := range provisioners {
			if p.GetName() == name {
				matching = append(matching, p)
			}
		}
		if len(matching) == 0 {
			return nil, errs.InvalidFlagValue(ctx, "admin-provisioner", name, "")
		}
		provisioners = matching
	}

	type item struct {
		Name        string
		Provisioner provisioner.Interface
	}
	var items []item
	for _, p := range provisioners {
		label := fmt.Sprintf("%s (%s)", p.GetName(), p.GetType())
		if jwk, ok := p.(*provisioner.JWK); ok {
			label = fmt.Sprintf("%s (%s) [kid: %s]", jwk.Name, jwk.GetType(), jwk.Key.KeyID)
		}
		items = append(items, item{Name: label, Provisioner: p})
	}

	if len(items) == 1 {
		if err := ui.PrintSelected("Provisioner", items[0].Name); err != nil {
			return nil, err
		}
		return items[0].Provisioner, nil
	}
	// The menu keeps the order in which the CA lists provisioners. That order
	// can change between CA runs, so the first item may be the ACME
	// provisioner, as with step 0.30.
	i, _, err := ui.Select("What provisioner key do you want to use?", items,
		ui.WithSelectTemplates(ui.NamedSelectTemplates("Provisioner")))
	if err != nil {
		return nil, err
	}
	return items[i].Provisioner, nil
}

// decryptProvisionerKey fetches the provisioner's encrypted key from the CA
// and decrypts it with the --admin-password-file content or, without that
// flag, with a password prompt that repeats on a wrong password (three tries).
func decryptProvisionerKey(ctx *cli.Context, caURL, root string, p *provisioner.JWK) (*jose.JSONWebKey, error) {
	encryptedKey, err := pki.GetProvisionerKey(caURL, root, p.Key.KeyID)
	if err != nil {
		return nil, err
	}

	var options []jose.Option
	if file := ctx.String("admin-password-file"); file != "" {
		options = append(options, jose.WithPasswordFile(file))
	}
	options = append(options, jose.WithPasswordPrompter("Please enter the password to decrypt the provisioner key",
		func(label string) ([]byte, error) {
			return ui.PromptPassword(label)
		}))

	decrypted, err := jose.Decrypt([]byte(encryptedKey), options...)
	if err != nil {
		return nil, err
	}
	key := new(jose.JSONWebKey)
	if err := json.Unmarshal(decrypted, key); err != nil {
		return nil, fmt.Errorf("error unmarshaling provisioning key: %w", err)
	}
	return key, nil
}

// configFileClient edits the provisioners in ca.json, for a CA that is not
// running or has no admin API. It loads the file into an authority that has
// no database, applies the change and writes the provisioners back.
type configFileClient struct {
	configFile string
	authority  *authority.Authority
}

func newConfigFileClient(cfg *config.Config, cfgFile string) (*configFileClient, error) {
	collection := provisioner.NewCollection(provisioner.Audiences{})
	for _, p := range cfg.AuthorityConfig.Provisioners {
		if err := collection.Store(p); err != nil {
			return nil, err
		}
	}
	a, err := authority.New(cfg, authority.WithAdminDB(noAdminDB{}), authority.WithSkipInit(),
		authority.WithProvisioners(collection)) //nolint:staticcheck // the ca.json editor of step 0.30 uses it too
	if err != nil {
		return nil, fmt.Errorf("error loading authority: %w", err)
	}
	return &configFileClient{configFile: cfgFile, authority: a}, nil
}

func (c *configFileClient) CreateProvisioner(prov *linkedca.Provisioner) (*linkedca.Provisioner, error) {
	if err := c.authority.StoreProvisioner(context.Background(), prov); err != nil {
		return nil, fmt.Errorf("error storing provisioner: %w", err)
	}
	return prov, c.save()
}

func (c *configFileClient) GetProvisioner(opts ...ca.ProvisionerOption) (*linkedca.Provisioner, error) {
	o := new(ca.ProvisionerOptions)
	if err := o.Apply(opts); err != nil {
		return nil, err
	}
	var (
		p   provisioner.Interface
		err error
	)
	switch {
	case o.ID != "":
		p, err = c.authority.LoadProvisionerByID(o.ID)
	case o.Name != "":
		p, err = c.authority.LoadProvisionerByName(o.Name)
	default:
		return nil, errors.New("provisioner options must define either ID or Name")
	}
	if err != nil {
		return nil, fmt.Errorf("error loading provisioner: %w", err)
	}
	linked, err := authority.ProvisionerToLinkedca(p)
	if err != nil {
		return nil, fmt.Errorf("error converting provisioner interface to linkedca provisioner: %w", err)
	}
	return linked, nil
}

func (c *configFileClient) UpdateProvisioner(_ string, prov *linkedca.Provisioner) error {
	if err := c.authority.UpdateProvisioner(context.Background(), prov); err != nil {
		return fmt.Errorf("error updating provisioner: %w", err)
	}
	return c.save()
}

// save writes every provisioner of the authority to ca.json and prints the
// step 0.30 message that step-ca must be reloaded.
func (c *configFileClient) save() error {
	var all provisioner.List
	cursor := ""
	for {
		page, next, err := c.authority.GetProvisioners(cursor, 100)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	cfg := c.authority.GetConfig()
	cfg.AuthorityConfig.Provisioners = all
	if err := cfg.Save(c.configFile); err != nil {
		return err
	}
	ui.Println("Success! Your `step-ca` config has been updated. To pick up the new configuration SIGHUP (kill -1 <pid>) or restart the step-ca process.")
	return nil
}

// noAdminDB is an admin database that stores nothing, so the authority used
// to edit ca.json keeps its provisioners in memory only.
type noAdminDB struct{}

func (noAdminDB) CreateProvisioner(context.Context, *linkedca.Provisioner) error { return nil }

func (noAdminDB) GetProvisioner(context.Context, string) (*linkedca.Provisioner, error) {
	return nil, nil //nolint:nilnil // nothing is stored
}

func (noAdminDB) GetProvisioners(context.Context) ([]*linkedca.Provisioner, error) { return nil, nil }

func (noAdminDB) UpdateProvisioner(context.Context, *linkedca.Provisioner) error { return nil }

func (noAdminDB) DeleteProvisioner(context.Context, string) error { return nil }

func (noAdminDB) CreateAdmin(context.Context, *linkedca.Admin) error { return nil }

func (noAdminDB) GetAdmin(context.Context, string) (*linkedca.Admin, error) {
	return nil, nil //nolint:nilnil // nothing is stored
}

func (noAdminDB) GetAdmins(context.Context) ([]*linkedca.Admin, error) { return nil, nil }

func (noAdminDB) UpdateAdmin(context.Context, *linkedca.Admin) error { return nil }

func (noAdminDB) DeleteAdmin(context.Context, string) error { return nil }

func (noAdminDB) CreateAuthorityPolicy(context.Context, *linkedca.Policy) error { return nil }

func (noAdminDB) GetAuthorityPolicy(context.Context) (*linkedca.Policy, error) {
	return nil, nil //nolint:nilnil // nothing is stored
}

func (noAdminDB) UpdateAuthorityPolicy(context.Context, *linkedca.Policy) error { return nil }

func (noAdminDB) DeleteAuthorityPolicy(context.Context) error { return nil }
