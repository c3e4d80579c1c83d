# Project-wide compiler flags, applied through an interface target so third-party code
# (Boost, RapidJSON) keeps its own flags and is included as SYSTEM.
add_library(mps3_warnings INTERFACE)
target_compile_options(mps3_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  # GCC 12 warns when a designated initializer leaves members to their defaults, which is the
  # point of designated initializers with default member values.
  -Wno-missing-field-initializers
  # GCC 12 false positive on Asio's coroutine frame allocator (awaitable_frame_base's sized
  # operator delete); fixed in later GCC releases.
  -Wno-mismatched-new-delete)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # RapidJSON's member iterators declare == and != with a non-template parameter, which C++20's
  # reversed candidates make ambiguous for clang; the call is fine and the header is not ours.
  target_compile_options(mps3_warnings INTERFACE -Wno-ambiguous-reversed-operator)
endif()
if(MPS3_WERROR)
  target_compile_options(mps3_warnings INTERFACE -Werror)
endif()

if(MPS3_SANITIZE)
  # Applied globally so every object in a test binary is instrumented the same way.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
