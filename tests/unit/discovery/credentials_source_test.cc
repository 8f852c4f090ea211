#include "discovery/credentials_source.h"

#include <sys/stat.h>

#include <map>

#include <gtest/gtest.h>

#include "tests/unit/discovery/temp_dir.h"

namespace ferry::discovery {
namespace {

CredentialsSource::Getenv env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

TEST(CredentialsSourceTest, EnvironmentKeys) {
  std::string error;
  auto source = CredentialsSource::create(std::nullopt, error,
                                          env({{"AWS_ACCESS_KEY_ID", "AKID"},
                                               {"AWS_SECRET_ACCESS_KEY", "s3cr3t"},
                                               {"AWS_SESSION_TOKEN", "tok"}}));
  ASSERT_TRUE(source) << error;
  const core::AwsCredentials* key = source->current();
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->access_key_id, "AKID");
  EXPECT_EQ(key->secret_access_key, "s3cr3t");
  EXPECT_EQ(key->session_token, "tok");
  EXPECT_EQ(source->description(), "environment");
}

TEST(CredentialsSourceTest, NoKeyMeansUnsignedButHalfAKeyIsAnError) {
  std::string error;
  auto none = CredentialsSource::create(std::nullopt, error, env({}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->current(), nullptr);
  EXPECT_EQ(none->description(), "none");
  EXPECT_FALSE(CredentialsSource::create(std::nullopt, error, env({{"AWS_ACCESS_KEY_ID", "A"}})));
  EXPECT_NE(error.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_FALSE(CredentialsSource::create(std::nullopt, error,
                                         env({{"AWS_SECRET_ACCESS_KEY", "topsecretvalue"}})));
  EXPECT_EQ(error.find("topsecretvalue"), std::string::npos);  // never the secret itself
}

TEST(CredentialsSourceTest, FileWithProfileFromAwsProfile) {
  test::TempDir dir;
  const std::string path = dir.file("credentials");
  test::spit(path,
             "[default]\naws_access_key_id = DEF\naws_secret_access_key = d\n"
             "[mesh]\naws_access_key_id = MESH\naws_secret_access_key = m\n");
  std::string error;
  auto by_default = CredentialsSource::create(path, error, env({}));
  ASSERT_TRUE(by_default) << error;
  EXPECT_EQ(by_default->current()->access_key_id, "DEF");
  auto by_profile = CredentialsSource::create(path, error, env({{"AWS_PROFILE", "mesh"}}));
  ASSERT_TRUE(by_profile) << error;
  EXPECT_EQ(by_profile->current()->access_key_id, "MESH");
  EXPECT_NE(by_profile->description().find("profile mesh"), std::string::npos);
  // The file wins over the environment.
  auto both = CredentialsSource::create(
      path, error, env({{"AWS_ACCESS_KEY_ID", "ENV"}, {"AWS_SECRET_ACCESS_KEY", "e"}}));
  EXPECT_EQ(both->current()->access_key_id, "DEF");
}

TEST(CredentialsSourceTest, MissingFileOrProfileIsAnError) {
  test::TempDir dir;
  std::string error;
  EXPECT_FALSE(CredentialsSource::create(dir.file("absent"), error, env({})));
  EXPECT_NE(error.find("absent"), std::string::npos) << error;
  test::spit(dir.file("c"), "[other]\naws_access_key_id = A\naws_secret_access_key = s\n");
  EXPECT_FALSE(CredentialsSource::create(dir.file("c"), error, env({})));
  EXPECT_NE(error.find("[default]"), std::string::npos) << error;
}

TEST(CredentialsSourceTest, ARewrittenFileIsReadAgainAndABrokenOneKeepsTheOldKey) {
  test::TempDir dir;
  const std::string path = dir.file("credentials");
  test::spit(path, "[default]\naws_access_key_id = OLD\naws_secret_access_key = o\n");
  std::string error;
  auto source = CredentialsSource::create(path, error, env({}));
  ASSERT_TRUE(source) << error;
  EXPECT_EQ(source->current()->access_key_id, "OLD");
  // A rotated key (a new file renamed into place, as rotation tools do).
  test::spit(path + ".new",
             "[default]\naws_access_key_id = NEW\naws_secret_access_key = n\n"
             "aws_session_token = t\n");
  ASSERT_EQ(::rename((path + ".new").c_str(), path.c_str()), 0);
  EXPECT_EQ(source->current()->access_key_id, "NEW");
  EXPECT_EQ(source->current()->session_token, "t");
  // A broken rewrite keeps the last good key.
  test::spit(path + ".new", "[default]\naws_access_key_id = HALF\n");
  ASSERT_EQ(::rename((path + ".new").c_str(), path.c_str()), 0);
  EXPECT_EQ(source->current()->access_key_id, "NEW");
  // A removed file also keeps it.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  EXPECT_EQ(source->current()->access_key_id, "NEW");
}

}  // namespace
}  // namespace ferry::discovery
