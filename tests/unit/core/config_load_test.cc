#include "proxy/core/config/load.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "config_test_support.h"
#include "proxy/core/config/config_json.h"

namespace ferry::core {
namespace {

namespace fs = std::filesystem;

// A private directory removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ferry-config-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, std::string_view contents) const {
    const fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << contents;
    return file.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

TEST(ConfigLoad, LoadsAValidFile) {
  TempDir dir;
  const std::string path = dir.write("ferry.yaml", testing::yaml(testing::kMinimal));
  const LoadResult result = load_proxy_config_file(path);
  ASSERT_TRUE(result.ok()) << testing::describe(result.errors);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.config->listeners[0].name, "web");
}

TEST(ConfigLoad, MissingFile) {
  TempDir dir;
  const std::string path = dir.path("absent.yaml");
  const LoadResult result = load_proxy_config_file(path);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_EQ(result.errors[0].to_string(), path + ": cannot open: No such file or directory");
}

TEST(ConfigLoad, DirectoryIsNotAConfig) {
  TempDir dir;
  const LoadResult result = load_proxy_config_file(dir.path(""));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].message.find("is a directory"), std::string::npos);
}

TEST(ConfigLoad, UnreadablePath) {
  TempDir dir;
  const std::string file = dir.write("plain.yaml", "workers: 1\n");
  // A path through a regular file fails to open for every user, root too.
  const LoadResult result = load_proxy_config_file(file + "/ferry.yaml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].message, "cannot open: Not a directory");
}

TEST(ConfigLoad, FileOverTheSizeLimit) {
  TempDir dir;
  // 4 MiB + 1 byte of comment: refused before parsing.
  std::string big = "# " + std::string(4 * 1024 * 1024 - 2, 'x') + "\n";
  ASSERT_EQ(big.size(), 4u * 1024 * 1024 + 1);
  const std::string path = dir.write("big.yaml", big);
  const LoadResult result = load_proxy_config_file(path);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_NE(result.errors[0].message.find("larger than the 4194304-byte config size limit"),
            std::string::npos)
      << result.errors[0].message;

  // The limit is configurable, and holds for in-memory text too.
  LoadOptions small;
  small.max_file_size = 16;
  EXPECT_FALSE(load_proxy_config_file(dir.write("small.yaml", std::string(17, '#')), small).ok());
  const LoadResult text = parse_proxy_config(std::string(17, '#'), "mem.yaml", small);
  ASSERT_EQ(text.errors.size(), 1u);
  EXPECT_EQ(text.errors[0].to_string(), "mem.yaml: config is larger than the 16-byte size limit");
}

TEST(ConfigLoad, ReadsPipesUpToTheLimit) {
  TempDir dir;
  const std::string fifo = dir.path("pipe.yaml");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    out << testing::yaml(testing::kMinimal);
  });
  const LoadResult result = load_proxy_config_file(fifo);
  writer.join();
  EXPECT_TRUE(result.ok()) << testing::describe(result.errors);
}

TEST(ConfigLoad, ErrorsNameTheFile) {
  TempDir dir;
  const std::string path = dir.write("ferry.yaml", "workers: many\nlisteners: []\n");
  const LoadResult result = load_proxy_config_file(path);
  ASSERT_EQ(result.errors.size(), 2u) << testing::describe(result.errors);
  EXPECT_EQ(result.errors[0].to_string(), path + ":1: workers: expected an integer, got \"many\"");
  EXPECT_EQ(result.errors[1].file, path);
}

TEST(ConfigLoad, CheckConfigPrintsErrorsAndExitsWithTwo) {
  TempDir dir;
  std::ostringstream err;
  EXPECT_EQ(check_config_file(dir.write("good.yaml", testing::yaml(testing::kMinimal)), err), 0);
  EXPECT_EQ(err.str(), "");

  const std::string bad = dir.write("bad.yaml", testing::yaml(R"(
listeners:
  - name: web
    address: 127.0.0.1:70000
    protocol: tcp
    cluster: backend
    idel_timeout: 5s
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)"));
  EXPECT_EQ(check_config_file(bad, err), 2);
  EXPECT_EQ(err.str(), bad + ":3: listeners[0].address: port 70000 is out of range (0-65535)\n" +
                           bad + ":6: listeners[0].idel_timeout: unknown key (did you mean " +
                           "\"idle_timeout\"?)\n");

  std::ostringstream missing;
  EXPECT_EQ(check_config_file(dir.path("nope.yaml"), missing), 2);
  EXPECT_NE(missing.str().find("nope.yaml: cannot open"), std::string::npos);
}

TEST(ConfigLoad, CheckConfigAppliesTheNotImplementedTable) {
  TempDir dir;
  std::ostringstream err;
  const std::string path = dir.write("http.yaml", testing::yaml(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)"));
  constexpr std::string_view kTable[] = {"listeners[].protocol=http"};
  LoadOptions options;
  options.not_implemented = kTable;
  EXPECT_EQ(check_config_file(path, err, options), 2);
  EXPECT_NE(err.str().find(":2: listeners[0].protocol: \"http\" is not implemented yet"),
            std::string::npos)
      << err.str();
}

TEST(ConfigLoad, YamlErrorsAreConfigErrors) {
  const LoadResult deep = parse_proxy_config(std::string(100'000, '['), "deep.yaml");
  ASSERT_EQ(deep.errors.size(), 1u);
  EXPECT_EQ(deep.errors[0].to_string(), "deep.yaml:1: nesting deeper than 64 levels");

  // CF-03: 9 levels x 9 aliases, refused at the first anchor.
  std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 9; ++i) {
      bomb += std::string(i == 0 ? "" : ", ") + "*" + static_cast<char>(level - 1);
    }
    bomb += "]\n";
  }
  const LoadResult aliases = parse_proxy_config(bomb, "bomb.yaml");
  ASSERT_EQ(aliases.errors.size(), 1u);
  EXPECT_EQ(aliases.errors[0].to_string(),
            "bomb.yaml:1: YAML anchors (&a) are not supported: write the value out");

  const LoadResult syntax = parse_proxy_config("listeners:\n  - name: [\n", "bad.yaml");
  ASSERT_EQ(syntax.errors.size(), 1u);
  EXPECT_EQ(syntax.errors[0].line, 3);
  EXPECT_EQ(syntax.errors[0].path, "");
}

TEST(ConfigLoad, TooManyErrorsAreCounted) {
  std::string text = "listeners: []\n";
  for (int i = 0; i < 300; ++i) {
    text += "unknown_" + std::to_string(i) + ": 1\n";
  }
  const LoadResult result = parse_proxy_config(text, "many.yaml");
  ASSERT_EQ(result.errors.size(), 101u);
  EXPECT_EQ(result.errors.back().to_string(),
            "many.yaml: 201 more errors not shown (only the first 100 are kept)");
}

TEST(ConfigLoad, LoadsFromManyThreadsAtOnce) {
  const std::string expected = to_json(testing::parse_ok(testing::kEverything));
  std::vector<std::string> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      LoadOptions options;
      options.not_implemented = {};
      for (int i = 0; i < 20; ++i) {
        const LoadResult result =
            parse_proxy_config(testing::yaml(testing::kEverything), "t.yaml", options);
        seen[t] = result.ok() ? to_json(*result.config) : testing::describe(result.errors);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const std::string& result : seen) {
    EXPECT_EQ(result, expected);
  }
}

}  // namespace
}  // namespace ferry::core
