# fuse_target_warnings(<target>): the warning set for project code; -Werror when FUSE_WERROR is on (CI).
function(fuse_target_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # nvcc takes its own flags: CUDA sources get the host compiler's basic warnings through -Xcompiler.
    set(host_only "$<NOT:$<COMPILE_LANGUAGE:CUDA>>")
    target_compile_options(${target} PRIVATE "$<${host_only}:-Wall;-Wextra;-Wpedantic;-Wshadow;-Wnon-virtual-dtor;-Woverloaded-virtual;-Wcast-align>"
                                             "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall>")
    if(FUSE_WERROR)
      target_compile_options(${target} PRIVATE "$<${host_only}:-Werror>")
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${FUSE_WERROR}>:/WX>)
  endif()
endfunction()
