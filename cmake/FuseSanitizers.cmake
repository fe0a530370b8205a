# FUSE_SANITIZE=address,undefined (any -fsanitize= list): every C and C++ target of the project, plugins
# included, is built with those sanitizers (CUDA sources are not). scripts/run_sanitizers.sh uses it: an
# out-of-bounds read in a test can pass for months on one CPU and fail on the next.
set(FUSE_SANITIZE "" CACHE STRING "Sanitizers for every C/C++ target, as for -fsanitize= (e.g. address,undefined); empty: none")
if(FUSE_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "FUSE_SANITIZE=${FUSE_SANITIZE} needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  set(host_languages "$<COMPILE_LANGUAGE:C,CXX>")
  add_compile_options("$<${host_languages}:-fsanitize=${FUSE_SANITIZE};-fno-omit-frame-pointer;-fno-sanitize-recover=all>")
  add_link_options("-fsanitize=${FUSE_SANITIZE}")
  message(STATUS "Sanitizers: ${FUSE_SANITIZE}")
endif()
