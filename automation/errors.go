package automation

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// More errors the driver tells apart.
var (
	// ErrPlugins means provider plugins could not be installed.
	ErrPlugins = errors.New("provider plugins are missing")
	// ErrCredentials means AWS credentials are missing or invalid.
	ErrCredentials = errors.New("AWS credentials are missing")
	// ErrPassphrase means the secrets passphrase does not decrypt the state.
	ErrPassphrase = errors.New("the passphrase does not decrypt the state")
)

var (
	pluginRe = regexp.MustCompile(`(?i)(failed to (download|install) plugin|could not (find|load|get) plugin|no resource plugin|plugin .* not found|error resolving plugin|get\.pulumi\.com)`)
	credsRe  = regexp.MustCompile(`(?i)(no valid credential sources|NoCredentialProviders|failed to refresh cached credentials|unable to validate AWS credentials|ExpiredToken|InvalidClientTokenId|could not find default credentials|AccessDenied.*sts:AssumeRole)`)
	errorRe  = regexp.MustCompile(`(?m)^\s*error: (.*)$`)
	spotRe   = regexp.MustCompile(`AWSServiceRoleForEC2Spot has been taken`)
	passRe   = regexp.MustCompile(`(?i)(incorrect passphrase|failed to decrypt|could not decrypt|error decrypting|cipher: message authentication failed)`)
)

// explain turns an Automation API error into one that says what went wrong
// with the stack and what to do, keeping the cause for errors.Is.
func explain(stack string, err error) error {
	if err == nil {
		return nil
	}
	if auto.IsConcurrentUpdateError(err) {
		return fmt.Errorf("stack %s: %w: another eksplatform or pulumi run is changing it. Wait for that run to end; "+
			"if it died, release the lock (`pulumi cancel -s %s` on Pulumi Cloud; on a file or S3 backend remove "+
			".pulumi/locks/*/eksplatform/%s/ under the backend) and run again", stack, ErrLocked, stack, stack)
	}
	text := err.Error()
	if passRe.MatchString(text) {
		return fmt.Errorf("stack %s: %w: PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not the one the stack's "+
			"secrets were encrypted with; set the passphrase this backend's stacks use (--secrets-provider for a KMS key): %s", stack, ErrPassphrase, firstError(text))
	}
	if pluginRe.MatchString(text) {
		return fmt.Errorf("stack %s: %w: %s. The engine downloads the aws, eks and kubernetes plugins from get.pulumi.com on "+
			"first use; where that is unreachable, install them beforehand (pulumi plugin install resource aws 6.83.0, "+
			"eks 2.8.1, kubernetes 4.23.0) or point PULUMI_HOME at a directory that has them", stack, ErrPlugins, firstError(text))
	}
	if credsRe.MatchString(text) {
		return fmt.Errorf("stack %s: %w: %s. Give the run credentials for the cluster's account (AWS_PROFILE, "+
			"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a CI role) or set deploy_role_arn in the environment file",
			stack, ErrCredentials, firstError(text))
	}
	if spotRe.MatchString(text) {
		return fmt.Errorf("stack %s: %s. The account already has the Spot service-linked role (a stack that owned it was "+
			"destroyed, or it was made by hand): set \"accounts\": {\"<account id>\": {\"spot_service_linked_role\": \"exists\"}} "+
			"in the cluster's role file and run again: %w", stack, firstError(text), err)
	}
	return &engineError{msg: fmt.Sprintf("stack %s: %s", stack, firstError(text)), cause: err}
}

// engineError is a failed operation told by the engine's error lines; the
// CLI's whole output (which repeats them several times) stays in the cause.
type engineError struct {
	msg   string
	cause error
}

func (e *engineError) Error() string { return e.msg }
func (e *engineError) Unwrap() error { return e.cause }

// withDiagnostics replaces the message of an engineError by the engine's
// error diagnostics of the operation, when it streamed any.
func withDiagnostics(stack string, err error, diags []string) error {
	ee, ok := err.(*engineError) //nolint:errorlint // only an engine error that is not wrapped in another explanation is retold
	if len(diags) == 0 || !ok {
		return err
	}
	return &engineError{msg: fmt.Sprintf("stack %s: %s", stack, strings.Join(diags, "; ")), cause: ee.cause}
}

// firstError picks the engine's "error:" lines out of CLI output, which is
// far more readable than the whole of it.
func firstError(text string) string {
	var lines []string
	for _, m := range errorRe.FindAllStringSubmatch(text, -1) {
		line := strings.TrimSpace(m[1])
		if line != "" && !strings.HasPrefix(line, "update failed") && !strings.HasPrefix(line, "preview failed") {
			lines = append(lines, line)
		}
		if len(lines) == 3 {
			break
		}
	}
	if len(lines) == 0 {
		// No error line: the CLI's own message and, when it printed one,
		// the last line of its stderr say most.
		first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
		if _, stderr, ok := strings.Cut(text, "\nstderr: "); ok {
			if tail := lastLine(stderr); tail != "" {
				return first + ": " + tail
			}
		}
		return first
	}
	return strings.Join(lines, "; ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
