// Reading an OCI image layout (the directory `skopeo copy ... oci:DIR` writes, and what an
// image target leaves in its out/image): the identity of the one image it holds, the digests a
// registry shows for it. Every blob read is checked against its digest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout::image {

/// The one image of a layout.
struct OciImage {
  std::string manifest_digest;        ///< "sha256:<hex>": the digest a registry shows
  std::string config_digest;          ///< "sha256:<hex>"
  std::uint64_t size = 0;             ///< manifest, config and layers, in bytes
  std::vector<std::string> diff_ids;  ///< the config's rootfs.diff_ids, base layers first
};

/// Reads the layout at `dir`. Errors name the file and what is wrong: no index.json, an index
/// with other than one manifest, a blob missing or not matching its digest.
Expected<OciImage> ReadOciLayout(const std::string& dir);

/// The hex part of a "sha256:<hex>" digest; "" when it is not one.
std::string DigestHex(const std::string& digest);

}  // namespace fanout::image
