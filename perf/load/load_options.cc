#include "perf/load/load_options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>

namespace ferry::perf {
namespace {

// A CLI11 validator for ferry's duration syntax ("250ms", "5s").
CLI::Validator duration_validator(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& text) -> std::string {
        const auto parsed = core::parse_duration(text);
        if (!parsed) {
          return "not a duration (a number with a unit: ns, us, ms, s, m, h)";
        }
        if (!allow_zero && parsed->count() == 0) {
          return "must be more than 0";
        }
        return {};
      },
      "DURATION");
}

void add_duration(CLI::App& app, const char* name, core::Duration& target, std::string& text,
                  const char* help, bool allow_zero) {
  text = core::format_duration(target);
  app.add_option(name, text, help)->check(duration_validator(allow_zero))->capture_default_str();
}

}  // namespace

std::variant<LoadOptions, int> parse_load_options(int argc, char** argv) {
  LoadOptions options;
  CLI::App app{"ferry-load: HTTP/1.1 and HTTP/2 (h2c) load generator", "ferry-load"};
  app.set_version_flag("--version", std::string("ferry-load ") + FERRY_VERSION);
  app.add_option("--url", options.url, "Target, http://host[:port][/path]")->required();
  std::string duration, warmup, timeout;
  add_duration(app, "--duration", options.duration, duration, "Measurement window", false);
  add_duration(app, "--warmup", options.warmup, warmup, "Load before the window, not counted",
               true);
  add_duration(app, "--timeout", options.timeout, timeout,
               "Per request (from sending) and per connect; 0s disables", true);
  app.add_option("-c,--connections", options.connections, "Connections in total")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  app.add_option("-t,--threads", options.threads,
                 "Threads (default: the CPUs this process may use, at most --connections)")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--rate", options.rate,
                 "Open loop: requests per second in total (latency from the intended send time)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--http2", options.http2, "HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1");
  app.add_option("--streams", options.streams, "HTTP/2 requests in flight per connection")
      ->check(CLI::Range(1u, 65'536u))
      ->capture_default_str();
  app.add_option("--json", options.json_path, "Write the results as JSON to this file");
  app.add_option("-H,--header", options.headers, "Extra request header \"Name: value\"");
  app.add_option("--cpu-pid", options.cpu_pids,
                 "Also report this process's CPU time over the window (repeatable)")
      ->check(CLI::PositiveNumber);
  std::string progress = "auto";
  app.add_option("--progress", progress,
                 "Progress line: auto (a terminal, runs over 3s), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help, the version or the error; every usage error is 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.duration = *core::parse_duration(duration);
  options.warmup = *core::parse_duration(warmup);
  options.timeout = *core::parse_duration(timeout);
  options.progress = progress == "always"  ? LoadOptions::Progress::Always
                     : progress == "never" ? LoadOptions::Progress::Never
                                           : LoadOptions::Progress::Auto;
  for (const std::string& header : options.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0 ||
        header.find_first_of("\r\n") != std::string::npos) {
      fmt::print(stderr, "ferry-load: --header {:?} is not \"Name: value\"\n", header);
      return 2;
    }
  }
  return options;
}

std::variant<TargetUrl, std::string> parse_target_url(const std::string& url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return fmt::format("--url {}: not a URL ({})", url, parsed.error().message());
  }
  if (parsed->scheme() != "http") {
    return fmt::format("--url {}: only http:// is supported (HTTP/1.1 or h2c, no TLS)", url);
  }
  if (!parsed->has_authority() || parsed->host().empty()) {
    return fmt::format("--url {}: no host", url);
  }
  if (parsed->has_userinfo()) {
    return fmt::format("--url {}: user info is not supported", url);
  }
  TargetUrl target;
  target.host = parsed->host_address();
  if (parsed->has_port()) {
    if (parsed->port_number() == 0) {
      return fmt::format("--url {}: bad port", url);
    }
    target.port = parsed->port_number();
  }
  target.authority = parsed->encoded_host_and_port();
  target.path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) {
    target.path += "?";
    target.path += parsed->encoded_query();
  }
  return target;
}

}  // namespace ferry::perf
