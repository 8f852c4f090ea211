#include <iostream>

int main() {
  std::cout << "ferry-proxy " << FERRY_VERSION << "\n";
  return 0;
}
