// A header that includes a later stage: cmake/check_layering.cmake must refuse it when it is
// checked as part of the description stage (CMakeLists.txt, the layering tests).
#pragma once

#include "plan/plan.h"
