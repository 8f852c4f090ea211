#pragma once

#include <array>

#include "proxy/core/config/enum_name.h"
#include "proxy/core/config/proxy_config.h"

// The config file's spellings of every schema enum, in the order the
// reference lists them. The reader parses with these tables and the JSON
// dump prints with them.

namespace ferry::core {

inline constexpr std::array<EnumName<ListenerProtocol>, 2> kListenerProtocolNames = {{
    {"tcp", ListenerProtocol::Tcp},
    {"http", ListenerProtocol::Http},
}};

inline constexpr std::array<EnumName<Direction>, 2> kDirectionNames = {{
    {"ingress", Direction::Ingress},
    {"egress", Direction::Egress},
}};

inline constexpr std::array<EnumName<UnderscoresAction>, 3> kUnderscoresActionNames = {{
    {"allow", UnderscoresAction::Allow},
    {"drop", UnderscoresAction::Drop},
    {"reject", UnderscoresAction::Reject},
}};

inline constexpr std::array<EnumName<XForwardedFor>, 3> kXForwardedForNames = {{
    {"append", XForwardedFor::Append},
    {"replace", XForwardedFor::Replace},
    {"off", XForwardedFor::Off},
}};

inline constexpr std::array<EnumName<UpstreamProtocol>, 2> kUpstreamProtocolNames = {{
    {"http1", UpstreamProtocol::Http1},
    {"http2", UpstreamProtocol::Http2},
}};

inline constexpr std::array<EnumName<LbPolicy>, 4> kLbPolicyNames = {{
    {"round_robin", LbPolicy::RoundRobin},
    {"least_request", LbPolicy::LeastRequest},
    {"random", LbPolicy::Random},
    {"ewma", LbPolicy::Ewma},
}};

inline constexpr std::array<EnumName<HealthCheckType>, 2> kHealthCheckTypeNames = {{
    {"http", HealthCheckType::Http},
    {"tcp", HealthCheckType::Tcp},
}};

inline constexpr std::array<EnumName<AppProtocol>, 4> kAppProtocolNames = {{
    {"http", AppProtocol::Http},
    {"http2", AppProtocol::Http2},
    {"grpc", AppProtocol::Grpc},
    {"tcp", AppProtocol::Tcp},
}};

inline constexpr std::array<EnumName<RetryOn>, 6> kRetryOnNames = {{
    {"5xx", RetryOn::FiveXx},
    {"gateway-error", RetryOn::GatewayError},
    {"reset", RetryOn::Reset},
    {"connect-failure", RetryOn::ConnectFailure},
    {"refused-stream", RetryOn::RefusedStream},
    {"retriable-status-codes", RetryOn::RetriableStatusCodes},
}};

// The spelling of a value, e.g. to_string(LbPolicy::RoundRobin) == "round_robin".
std::string_view to_string(ListenerProtocol value);
std::string_view to_string(Direction value);
std::string_view to_string(UnderscoresAction value);
std::string_view to_string(XForwardedFor value);
std::string_view to_string(UpstreamProtocol value);
std::string_view to_string(LbPolicy value);
std::string_view to_string(HealthCheckType value);
std::string_view to_string(AppProtocol value);
std::string_view to_string(RetryOn value);

}  // namespace ferry::core
