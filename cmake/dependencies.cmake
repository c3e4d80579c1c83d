# Every dependency comes from Debian 12 packages; setup.sh installs them.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PUGIXML REQUIRED IMPORTED_TARGET pugixml)
find_package(RapidJSON REQUIRED)
find_package(CLI11 REQUIRED)
find_package(doctest REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

# Asio and Beast are compiled once (libmps3/src/asio_impl.cpp) instead of in every translation unit.
add_library(mps3_boost INTERFACE)
target_link_libraries(mps3_boost INTERFACE Boost::headers Threads::Threads OpenSSL::SSL OpenSSL::Crypto)
target_compile_definitions(mps3_boost INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED)

add_library(mps3_rapidjson INTERFACE)
if(TARGET RapidJSON)
  target_link_libraries(mps3_rapidjson INTERFACE RapidJSON)
else()
  target_include_directories(mps3_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
endif()
# Keys and values may hold any UTF-8; std::string support keeps conversions out of call sites.
target_compile_definitions(mps3_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
