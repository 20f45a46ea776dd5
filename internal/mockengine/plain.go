package mockengine

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Placeholders for values synth must not or cannot print.
const (
	SecretPlaceholder  = "[secret]"
	UnknownPlaceholder = "[unknown]"
)

// Plain turns a property value into JSON-ready data: secrets become
// "[secret]", unknowns "[unknown]", resource references their URN. Maps come
// out as Go maps, which encoding/json writes with sorted keys.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsSecret():
		return SecretPlaceholder
	case v.IsComputed():
		return UnknownPlaceholder
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return SecretPlaceholder
		}
		if !o.Known {
			return UnknownPlaceholder
		}
		return Plain(o.Element)
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, x := range arr {
			out[i] = Plain(x)
		}
		return out
	case v.IsObject():
		return PlainMap(v.ObjectValue())
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset():
		return v.AssetValue().Hash
	case v.IsArchive():
		return v.ArchiveValue().Hash
	}
	return v.String()
}

// PlainMap is Plain for a whole property map.
func PlainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = Plain(m[resource.PropertyKey(k)])
	}
	return out
}
