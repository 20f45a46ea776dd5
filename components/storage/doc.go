// Package storage declares a cluster's storage: the default EBS storage class
// and an encrypted EFS file system with its storage class.
package storage
