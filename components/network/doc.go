// Package network declares a cluster's network: the VPC (created from a CIDR
// or adopted) that the foundation's cluster gets its subnets from, and, after
// the cluster exists, the in-cluster network controllers.
package network
