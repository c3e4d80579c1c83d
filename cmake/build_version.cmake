# Run at every build by the mps3_version_stamp target (daemon/CMakeLists.txt), not at configure
# time, so a commit or an edit shows in --version without re-running cmake. The header is
# rewritten only when its text changes (configure_file leaves an identical file alone, and the
# target declares it as a byproduct, so Ninja re-checks its timestamp): only build_info.cpp
# recompiles, and only when the version or the checkout's describe changed.
#
# In: VERSION (the CMake project version), SOURCE_DIR, GIT_EXECUTABLE (may be empty),
#     TEMPLATE, OUTPUT.
set(MPS3_GIT_DESCRIBE "")
# Only the project's own checkout counts: a source tarball unpacked inside some other git
# repository must not report that repository's commit.
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" describe --always --dirty
    WORKING_DIRECTORY "${SOURCE_DIR}"
    OUTPUT_VARIABLE describe
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET
    RESULT_VARIABLE describe_status)
  if(describe_status EQUAL 0)
    set(MPS3_GIT_DESCRIBE "${describe}")
  endif()
endif()
set(MPS3_PROJECT_VERSION "${VERSION}")
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
