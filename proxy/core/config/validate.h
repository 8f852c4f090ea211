#pragma once

#include "proxy/core/config/config_reader.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::core {

// The rules that span more than one map: a listener or route names a
// cluster that exists; names and listen addresses are unique (admin
// included; a wildcard address overlaps every address of its port); a tcp
// listener has a cluster and no HTTP-only keys; an http listener has a
// cluster or routes; a cluster has endpoints xor discovery; discovery and
// service_connect need control_plane; the file configures something.
// Lines come from ctx.lines() (what the user wrote), so an error about a
// default points at the object it belongs to. Runs after read_proxy_config()
// on the loading thread, whether or not reading found errors.
void validate_proxy_config(const ProxyConfig& config, ReadContext& ctx);

}  // namespace ferry::core
