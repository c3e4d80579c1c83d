# `cmake --install build [--prefix DIR]`: what goes where is in docs/operations.md ("What
# `cmake --install` puts where"); tests/install/check_install.sh installs into a temporary
# prefix and builds consumers against it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The programs.
install(TARGETS mps3d mps3ctl mps3-s3 RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# --- libmps3 for C++ programs: libmps3.a, its public headers, a CMake package, a .pc file ----
# One archive of every layer's objects, so a consumer links one library however the layers
# inside are cut (libmps3/CMakeLists.txt). Its usage requirements are written out here rather
# than inherited from the layers, whose internal targets (warnings, rapidjson, the src/
# include directories) are none of a consumer's business.
add_library(mps3_installed STATIC)
set_target_properties(mps3_installed PROPERTIES OUTPUT_NAME mps3 EXPORT_NAME mps3)
foreach(layer IN ITEMS mps3_common mps3_json mps3_s3 mps3_protocol mps3_replica mps3_engine
                       mps3_asio_impl)
  target_sources(mps3_installed PRIVATE $<TARGET_OBJECTS:${layer}>)
endforeach()
target_include_directories(mps3_installed INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(mps3_installed INTERFACE cxx_std_20)
# Asio and Beast are compiled into the library (separate compilation); a consumer that included
# them header-only would define every Asio function a second time.
target_compile_definitions(mps3_installed INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED)
# The build links pugixml through pkg-config; an installed consumer finds Debian's CMake
# package of it (mps3Config.cmake), whose target is pugixml::pugixml.
target_link_libraries(mps3_installed INTERFACE
  Boost::headers Threads::Threads OpenSSL::SSL OpenSSL::Crypto SQLite::SQLite3
  $<BUILD_INTERFACE:PkgConfig::PUGIXML> $<INSTALL_INTERFACE:pugixml::pugixml>)

set(MPS3_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mps3)
install(TARGETS mps3_installed EXPORT mps3Targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY libmps3/include/mps3 DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(EXPORT mps3Targets NAMESPACE mps3:: DESTINATION ${MPS3_CMAKE_DIR})
configure_package_config_file(cmake/mps3Config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/mps3Config.cmake INSTALL_DESTINATION ${MPS3_CMAKE_DIR})
# 0.x releases may break the API at every minor version.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mps3ConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mps3Config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/mps3ConfigVersion.cmake DESTINATION ${MPS3_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place (${pcfiledir}), so that
# `cmake --install --prefix DIR` yields a correct file whatever prefix was configured.
file(RELATIVE_PATH MPS3_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" MPS3_PC_TO_PREFIX "${MPS3_PC_TO_PREFIX}")
configure_file(cmake/mps3.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mps3.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mps3.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- For the administrator and the shell ------------------------------------------------------
install(FILES config/mps3d.conf DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(FILES docs/man/mps3d.1 docs/man/mps3ctl.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/mps3d.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES completions/bash/mps3d completions/bash/mps3ctl
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)
install(FILES completions/zsh/_mps3d completions/zsh/_mps3ctl
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/site-functions)

# systemd units where systemd looks for them: <prefix>/lib/systemd/{system,user} (not the
# multiarch libdir: systemd has none), both on its search path for /usr and /usr/local. Their
# ExecStart= names the installed mps3d, worked out at install time so that --prefix counts.
set(MPS3_SYSTEMD_SYSTEM_UNIT_DIR lib/systemd/system CACHE STRING
  "Where system units go, relative to the install prefix (or absolute)")
set(MPS3_SYSTEMD_USER_UNIT_DIR lib/systemd/user CACHE STRING
  "Where user units go, relative to the install prefix (or absolute)")
foreach(kind IN ITEMS system user)
  if(kind STREQUAL "system")
    set(unit_dir ${MPS3_SYSTEMD_SYSTEM_UNIT_DIR})
  else()
    set(unit_dir ${MPS3_SYSTEMD_USER_UNIT_DIR})
  endif()
  install(FILES systemd/${kind}/mps3d.socket DESTINATION ${unit_dir})
  install(CODE "
    set(staged \"${CMAKE_CURRENT_BINARY_DIR}/installed-units/${kind}/mps3d.service\")
    file(READ \"${PROJECT_SOURCE_DIR}/systemd/${kind}/mps3d.service\" unit)
    string(REPLACE \"ExecStart=/usr/local/bin/mps3d\"
      \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/mps3d\" unit \"\${unit}\")
    file(WRITE \"\${staged}\" \"\${unit}\")
    if(IS_ABSOLUTE \"${unit_dir}\")
      set(destination \"${unit_dir}\")
    else()
      set(destination \"\${CMAKE_INSTALL_PREFIX}/${unit_dir}\")
    endif()
    file(INSTALL DESTINATION \"\${destination}\" TYPE FILE FILES \"\${staged}\")
  ")
endforeach()
