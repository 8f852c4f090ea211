// ferry-test-upstream: the scripted upstream as a process, for measurements
// (perf runs against several endpoints, one failing or slow). Answers every
// request with one status after one delay; on SIGTERM or SIGINT it prints
// how many requests it served and exits.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "tests/integration/resilience/scripted_upstream.h"

int main(int argc, char** argv) {
  CLI::App app{"ferry-test-upstream: a scripted HTTP/1.1 upstream for tests and measurements"};
  std::string listen = "127.0.0.1:0";
  int status = 200;
  int delay_us = 0;
  std::size_t body_size = 2;
  std::string address_file;
  app.add_option("--listen", listen, "ip:port (port 0: any free port)");
  app.add_option("--status", status, "status of every response")->check(CLI::Range(200, 599));
  app.add_option("--delay-us", delay_us, "delay before each response, in microseconds")
      ->check(CLI::Range(0, 60'000'000));
  app.add_option("--body-size", body_size, "response body bytes");
  app.add_option("--address-file", address_file, "write the bound ip:port here");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the upstream's thread inherits it

  ferry::test::UpstreamAction action;
  action.status = status;
  action.body.assign(body_size, 'x');
  action.delay = std::chrono::microseconds(delay_us);
  ferry::test::ScriptedUpstream upstream(
      [action](const ferry::test::SeenRequest&) { return action; }, listen);
  if (!address_file.empty()) {
    std::ofstream(address_file) << upstream.address() << "\n";
  }
  std::cout << "listening on " << upstream.address() << std::endl;
  int signo = 0;
  sigwait(&signals, &signo);
  std::cout << "requests " << upstream.requests() << std::endl;
  return 0;
}
