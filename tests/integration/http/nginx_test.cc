// ferry between curl and a real nginx upstream: plain requests, keep-alive
// reuse, chunked and large bodies both ways (nginx's WebDAV PUT stores the
// upload; a GET reads it back).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

// A port that was free a moment ago (nginx needs a number in its config).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class Nginx {
 public:
  Nginx() {
    const std::string nginx = require_tool("nginx");
    ::mkdir(dir_.file("www").c_str(), 0755);
    ::mkdir(dir_.file("www/files").c_str(), 0755);
    dir_.write("www/hello.txt", "hello from nginx\n");
    for (int attempt = 0; attempt < 5; ++attempt) {
      const int port = free_port();
      address_ = "127.0.0.1:" + std::to_string(port);
      const std::string conf = dir_.write("nginx.conf", config(port));
      Process::Options options;
      options.argv = {nginx,    "-p", dir_.path() + "/",
                      "-c",     conf, "-e",
                      "stderr", "-g", "daemon off; master_process off;"};
      options.log_dir = dir_.path();
      process_ = std::make_unique<Process>(std::move(options));
      if (eventually(
              [&] { return Socket::connect(address_, 200ms).valid() || !process_->running(); },
              5s) &&
          process_->running()) {
        return;
      }
    }
    throw std::runtime_error("nginx did not start:\n" + process_->stderr_text());
  }
  const std::string& address() const { return address_; }
  TempDir& dir() { return dir_; }

 private:
  std::string config(int port) const {
    const std::string root = dir_.file("www");
    return "pid " + dir_.file("nginx.pid") + ";\n" +
           "events { worker_connections 256; }\n"
           "http {\n"
           "  access_log off;\n"
           "  client_body_temp_path " +
           dir_.file("body") +
           ";\n"
           "  proxy_temp_path " +
           dir_.file("proxy") +
           ";\n"
           "  fastcgi_temp_path " +
           dir_.file("fastcgi") +
           ";\n"
           "  uwsgi_temp_path " +
           dir_.file("uwsgi") +
           ";\n"
           "  scgi_temp_path " +
           dir_.file("scgi") +
           ";\n"
           "  keepalive_requests 10000;\n"
           "  server {\n"
           "    listen 127.0.0.1:" +
           std::to_string(port) +
           ";\n"
           "    root " +
           root +
           ";\n"
           "    client_max_body_size 0;\n"
           "    location /files/ { dav_methods PUT DELETE; create_full_put_path on; }\n"
           "    location = /status { return 200 \"$http_host $http_x_forwarded_for\\n\"; }\n"
           "  }\n"
           "}\n";
  }
  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> process_;
};

class NginxTest : public ProxyTest {
 protected:
  void SetUp() override {
    ProxySetup setup;
    setup.endpoints = {nginx_.address()};
    setup.workers = 2;
    start_proxy(setup);
    curl_ = require_tool("curl");
  }
  CommandResult curl(std::vector<std::string> args) {
    args.insert(args.begin(), {curl_, "-sS", "--max-time", "60"});
    return run_command(args, 90s);
  }
  std::string url(const std::string& path) const { return "http://" + web() + path; }

  Nginx nginx_;
  std::string curl_;
};

TEST_F(NginxTest, CurlGetsAFileThroughFerry) {
  const CommandResult r = curl({"-i", url("/hello.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello from nginx\n"), std::string::npos) << r.out;
  const CommandResult missing = curl({"-o", "/dev/null", "-w", "%{http_code}", url("/nope")});
  EXPECT_EQ(missing.out, "404");
  const CommandResult status = curl({url("/status")});
  EXPECT_EQ(status.out, web() + " 127.0.0.1\n");
}

TEST_F(NginxTest, CurlKeepAliveReusesOneUpstreamConnection) {
  std::vector<std::string> args = {"-w", "%{http_code} %{num_connects}\n"};
  for (int i = 0; i < 20; ++i) {
    args.insert(args.end(), {"-o", "/dev/null", url("/hello.txt")});
  }
  const CommandResult r = curl(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out, "200 1\n" + [] {
        std::string rest;
        for (int i = 1; i < 20; ++i) {
          rest += "200 0\n";
        }
        return rest;
      }());
  EXPECT_EQ(cluster_metric("ferry_upstream_connections_total"), 1);
}

TEST_F(NginxTest, LargeChunkedUploadAndDownloadRoundTrip) {
  std::string data(8 * 1024 * 1024 + 13, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = byte_pattern(i);
  }
  const std::string in = nginx_.dir().write("upload.bin", data);
  const std::string out = nginx_.dir().file("download.bin");
  const CommandResult put = curl({"-o", "/dev/null", "-w", "%{http_code}", "-T", in, "-H",
                                  "Transfer-Encoding: chunked", url("/files/blob.bin")});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "201");
  EXPECT_EQ(read_file(nginx_.dir().file("www/files/blob.bin")), data);
  const CommandResult get =
      curl({"-o", out, "-w", "%{http_code} %{size_download}", url("/files/blob.bin")});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "200 " + std::to_string(data.size()));
  EXPECT_TRUE(read_file(out) == data);
}

TEST_F(NginxTest, ContentLengthUploadIsStored) {
  const std::string body = "posted through ferry";
  const CommandResult put = curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                                  "--data-binary", body, url("/files/small.txt")});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "201");
  EXPECT_EQ(read_file(nginx_.dir().file("www/files/small.txt")), body);
}

}  // namespace
}  // namespace ferry::test
