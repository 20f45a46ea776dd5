// Package observability is a cluster's observability baseline beyond the
// control-plane logs: an Amazon Managed Service for Prometheus workspace fed
// by an agentless managed scraper, the fleet-wide alert rules (data/rules.yaml)
// loaded into it, and a CloudWatch alarm on karpenter's interruption queue.
// Container Insights is an EKS managed addon (amazon-cloudwatch-observability):
// the foundation installs it with the other addons, so plan checks its
// versions on every upgrade like theirs.
package observability
