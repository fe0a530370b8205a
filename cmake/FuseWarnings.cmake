# fuse_target_warnings(<target>): the warning set for project code; -Werror when FUSE_WERROR is on (CI).
function(fuse_target_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                             -Woverloaded-virtual -Wcast-align)
    if(FUSE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${FUSE_WERROR}>:/WX>)
  endif()
endfunction()
