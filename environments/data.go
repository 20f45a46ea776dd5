package environments

// The facts about the world the loader checks against (the EKS calendar,
// the addons, the charts, AWS's regions and enumerations) live in the
// catalog package (Fleet.Catalog); what stays here are the platform's own
// choices.

// KarpenterNodePools are the two pools every cluster runs, by key.
var KarpenterNodePools = map[string]string{"arm": "arm64", "amd": "amd64"}
