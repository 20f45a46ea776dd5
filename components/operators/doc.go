// Package operators declares what runs in every cluster on top of the
// network and storage: karpenter with its node pools, metrics-server,
// reloader, external-secrets, the platform namespace with the admin team's
// binding, and the echo-server the health gate calls after a rollout.
package operators
