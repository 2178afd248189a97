# Installs the C++ library as a relocatable CMake package: the public headers,
# libloadgen.a and loadgenConfig.cmake, so that a native SUT can
# find_package(loadgen CONFIG) against an installed tree or the Python wheel.
#
# Layout under CMAKE_INSTALL_PREFIX (the package directory `loadgen/` in a
# wheel, because pyproject.toml sets wheel.install-dir):
#   include/loadgen/*.h
#   lib/libloadgen.a
#   lib/cmake/loadgen/loadgen{Config,ConfigVersion,Targets*}.cmake
# `python -m loadgen --cmake-dir` relies on this layout.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(SKBUILD)
  # Inside the wheel the paths are fixed, whatever the platform's convention
  # (lib64, lib/<multiarch>), so the Python side can find them.
  set(LOADGEN_INSTALL_LIBDIR lib)
else()
  set(LOADGEN_INSTALL_LIBDIR ${CMAKE_INSTALL_LIBDIR})
endif()
set(LOADGEN_INSTALL_CMAKEDIR ${LOADGEN_INSTALL_LIBDIR}/cmake/loadgen)

# Headers always go to include/: the target's INSTALL_INTERFACE names
# "include" and "include/loadgen" relative to the prefix, which the exported
# target resolves against the package's own location, so the installed tree
# can be moved (as pip does with a wheel).
install(TARGETS loadgen
  EXPORT loadgenTargets
  ARCHIVE DESTINATION ${LOADGEN_INSTALL_LIBDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/loadgen_cpp/include/loadgen"
  DESTINATION include
  FILES_MATCHING PATTERN "*.h")
install(EXPORT loadgenTargets
  NAMESPACE loadgen::
  DESTINATION ${LOADGEN_INSTALL_CMAKEDIR})

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/loadgenConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/loadgenConfig.cmake"
  INSTALL_DESTINATION ${LOADGEN_INSTALL_CMAKEDIR})
# 0.x releases may break the API between minor versions.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/loadgenConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/loadgenConfig.cmake"
  "${PROJECT_BINARY_DIR}/loadgenConfigVersion.cmake"
  DESTINATION ${LOADGEN_INSTALL_CMAKEDIR})
