#include "proxy/core/config/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <utility>

#include "proxy/core/config/config_reader.h"
#include "proxy/core/config/proxy_config_reader.h"
#include "proxy/core/config/source_map.h"
#include "proxy/core/config/validate.h"

namespace ferry::core {
namespace {

LoadResult failure(std::vector<ConfigError> errors) {
  LoadResult result;
  result.errors = std::move(errors);
  return result;
}

LoadResult file_failure(const std::string& path, std::string message) {
  return failure({ConfigError{path, 0, {}, std::move(message)}});
}

// Closes a descriptor on every path out of read_file().
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads at most limit + 1 bytes, so a huge file (or an endless pipe) costs
// no more than the limit. Returns the error message on failure.
std::optional<std::string> read_file(const std::string& path, std::size_t limit,
                                     std::string& contents) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    return std::string("cannot open: ") + std::strerror(errno);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return std::string("cannot stat: ") + std::strerror(errno);
  }
  if (S_ISDIR(info.st_mode)) {
    return std::string("is a directory, not a config file");
  }
  auto too_large = [&] {
    return "file is larger than the " + std::to_string(limit) + "-byte config size limit";
  };
  if (S_ISREG(info.st_mode) && static_cast<std::uint64_t>(info.st_size) > limit) {
    return too_large();
  }
  contents.clear();
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::string("cannot read: ") + std::strerror(errno);
    }
    if (n == 0) {
      return std::nullopt;
    }
    if (contents.size() + static_cast<std::size_t>(n) > limit) {
      return too_large();
    }
    contents.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

LoadResult parse_proxy_config(std::string_view yaml, const std::string& file_label,
                              const LoadOptions& options) {
  if (yaml.size() > options.max_file_size) {
    return failure({ConfigError{file_label,
                                0,
                                {},
                                "config is larger than the " +
                                    std::to_string(options.max_file_size) + "-byte size limit"}});
  }
  YamlParseResult parsed = parse_yaml(yaml, options.yaml);
  if (const auto* error = std::get_if<YamlError>(&parsed)) {
    return failure({ConfigError{file_label, error->line, {}, error->message}});
  }
  const YamlNode& root = std::get<YamlNode>(parsed);
  ConfigErrors errors(file_label, options.max_errors);
  if (!root.is_map() && !root.is_null()) {
    errors.add(root.line(), {},
               "the config must be a map of keys (admin, listeners, clusters, ...), not " +
                   std::string(root.kind_name()));
    return failure(errors.take_sorted());
  }
  SourceMap lines;
  lines.record({}, 1);
  ReadContext ctx(errors, lines);
  ProxyConfig config;
  {
    MapReader reader(ctx, &root, {});
    read_proxy_config(reader, config);
  }  // the reader reports unknown top-level keys as it closes
  validate_proxy_config(config, ctx);
  check_not_implemented(config, ctx, options.not_implemented);
  if (!errors.empty()) {
    return failure(errors.take_sorted());
  }
  LoadResult result;
  result.config = std::move(config);
  return result;
}

LoadResult load_proxy_config_file(const std::string& path, const LoadOptions& options) {
  std::string contents;
  if (auto problem = read_file(path, options.max_file_size, contents)) {
    return file_failure(path, std::move(*problem));
  }
  return parse_proxy_config(contents, path, options);
}

int check_config_file(const std::string& path, std::ostream& err, const LoadOptions& options) {
  const LoadResult result = load_proxy_config_file(path, options);
  for (const ConfigError& error : result.errors) {
    err << error.to_string() << '\n';
  }
  return result.ok() ? 0 : 2;
}

}  // namespace ferry::core
