// Known-answer tests for the OpenSSL wrappers the SigV4 signer is built on.
#include "s3/crypto.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace mps3::s3::detail;

TEST_CASE("sha256_hex: FIPS 180-2 and the empty string") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256("abc").size() == 32);
}

TEST_CASE("sha256_hex hashes bytes, embedded NULs included") {
    const std::string with_nul("a\0b", 3);
    CHECK(sha256_hex(with_nul) != sha256_hex("a"));
    CHECK(sha256_hex(with_nul).size() == 64);
}

TEST_CASE("hmac_sha256: RFC 4231 test cases 1 and 2") {
    CHECK(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hmac_sha256 accepts an empty key and empty data") {
    CHECK(hex(hmac_sha256("", "")) ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("hex is lower-case, two digits per byte") {
    CHECK(hex("") == "");
    CHECK(hex(std::string("\x00\x0f\xab\xff", 4)) == "000fabff");
}

TEST_CASE("base64: RFC 4648 section 10 vectors") {
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foo") == "Zm9v");
    CHECK(base64("foob") == "Zm9vYg==");
    CHECK(base64("fooba") == "Zm9vYmE=");
    CHECK(base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 of input longer than one internal chunk has no padding in the middle") {
    const std::string input(3 * 1024 * 2 + 1, 'x');  // two full chunks and one byte
    const std::string encoded = base64(input);
    CHECK(encoded.size() == (input.size() + 2) / 3 * 4);
    CHECK(encoded.find('=') == encoded.size() - 2);
    CHECK(encoded.substr(0, 4) == "eHh4");
}

TEST_CASE("sha256_base64 is the x-amz-checksum-sha256 value") {
    CHECK(sha256_base64("") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    CHECK(sha256_base64("hello world") == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
}
