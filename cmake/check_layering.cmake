# Run by the build (CMakeLists.txt, fanout_stage): fails when a file of stage STAGE includes a
# header of a stage that is not in ALLOWED. The stages and their order are docs/architecture.md.
# Usage: cmake -DSTAGE=plan -DALLOWED="base;description" -DFILES="a.cc;a.h" -DSTAMP=f -P this
cmake_minimum_required(VERSION 3.18)
set(bad "")
foreach(file IN LISTS FILES)
  file(STRINGS "${file}" includes REGEX "^#include \"[a-z_]+/")
  foreach(line IN LISTS includes)
    string(REGEX MATCH "^#include \"([a-z_]+)/" _ "${line}")
    set(stage "${CMAKE_MATCH_1}")
    if(NOT stage STREQUAL STAGE AND NOT stage IN_LIST ALLOWED)
      string(APPEND bad "${file}: error: ${line}: the ${STAGE} stage may include only "
        "${STAGE}/ and ${ALLOWED} (docs/architecture.md, \"Stages\"); move the code or the "
        "dependency\n")
    endif()
  endforeach()
endforeach()
if(bad)
  # Printed as is (FATAL_ERROR would re-wrap the lines), then the failure.
  message(NOTICE "${bad}")
  message(FATAL_ERROR "src/${STAGE}/ includes a stage it does not depend on (see above)")
endif()
file(TOUCH "${STAMP}")
