#include "proxy/core/sigv4/credentials_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace ferry::core {
namespace {

TEST(CredentialsFile, ReadsEveryProfileWithAKey) {
  std::string error;
  const auto file = CredentialsFile::parse(
      "# comment\n"
      "[default]\n"
      "aws_access_key_id=AKID1\n"
      "aws_secret_access_key = secret one \n"
      "region = us-east-1\n"
      "\n"
      "; another comment\n"
      "[profile ci]\r\n"
      "AWS_ACCESS_KEY_ID = AKID2\r\n"
      "aws_secret_access_key = s2\r\n"
      "aws_session_token = tok2\r\n"
      "[only-region]\n"
      "region = eu-west-1\n",
      "creds", error);
  ASSERT_TRUE(file.has_value()) << error;
  ASSERT_EQ(file->profiles().size(), 2u);
  EXPECT_EQ(file->profiles()[0].name, "default");
  EXPECT_EQ(file->find_profile("default")->secret_access_key, "secret one");
  EXPECT_EQ(file->find_profile("ci")->session_token, "tok2");
  EXPECT_EQ(file->find_access_key("AKID2")->secret_access_key, "s2");
  EXPECT_EQ(file->find_access_key("AKID3"), nullptr);
  EXPECT_EQ(file->find_profile("only-region"), nullptr);
}

TEST(CredentialsFile, NamesTheLineOfEachError) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{"aws_access_key_id = A\n", "f:1: setting outside any [profile] section"},
           Case{"[a]\naws_access_key_id = A\n", "f:1: profile [a] needs both"},
           Case{"[a]\naws_access_key_id = A\naws_secret_access_key = s\n[a]\n",
                "f:4: duplicate profile [a]"},
           Case{"[a]\njunk\n", "f:2: expected 'key = value'"},
           Case{"[a\n", "f:1: malformed section header"},
           Case{"[a]\naws_access_key_id=A\naws_secret_access_key=s\n"
                "[b]\naws_access_key_id=A\naws_secret_access_key=t\n",
                "f:4: profile [b] reuses an access key id"},
           Case{"", "f: no profile with aws_access_key_id"},
       }) {
    std::string error;
    EXPECT_FALSE(CredentialsFile::parse(c.text, "f", error).has_value()) << c.text;
    EXPECT_EQ(error.rfind(c.expected, 0), 0u) << error;
  }
}

TEST(CredentialsFile, LoadsFromDiskAndReportsUnreadableFiles) {
  const std::string path = ::testing::TempDir() + "/ferry_credentials_test";
  {
    std::ofstream out(path);
    out << "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n";
  }
  std::string error;
  const auto file = CredentialsFile::load(path, error);
  ASSERT_TRUE(file.has_value()) << error;
  EXPECT_EQ(file->find_access_key("AKID")->secret_access_key, "s");
  std::remove(path.c_str());
  EXPECT_FALSE(CredentialsFile::load(path, error).has_value());
  EXPECT_EQ(error, path + ": cannot read");
}

}  // namespace
}  // namespace ferry::core
