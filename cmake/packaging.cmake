# Installation (`cmake --install`) and the Debian package (`cpack -G DEB`, `make deb`).
# docs/OPERATIONS.md describes the layout. Nothing here builds anything: install and cpack
# take the binaries already built (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY), so packaging the
# CI build directory does not build the tests and benchmarks again.
include(GNUInstallDirs)
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS dnspushd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS dnspush dnspushctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES man/dnspush.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES man/dnspushd.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES man/dnspushd.8 man/dnspushctl.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES README.md LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/dnspushd)

# The configuration directory and the unit are decided when installing, not when
# configuring: the package installs with prefix /usr (configuration in /etc) from a build
# directory configured for /usr/local (configuration in /usr/local/etc).
set(DNSPUSH_INSTALL_SRC ${PROJECT_SOURCE_DIR})
set(DNSPUSH_INSTALL_SBINDIR ${CMAKE_INSTALL_SBINDIR})
set(DNSPUSH_INSTALL_WORK ${PROJECT_BINARY_DIR}/install-work)
configure_file(${PROJECT_SOURCE_DIR}/cmake/install_etc.cmake.in
               ${PROJECT_BINARY_DIR}/install_etc.cmake @ONLY)
install(SCRIPT ${PROJECT_BINARY_DIR}/install_etc.cmake)

set(CPACK_PACKAGE_NAME dnspushd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "dnspush")
set(CPACK_PACKAGE_CONTACT "dnspush maintainers <dnspush@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "authoritative DNS server with DNS Push Notifications, LLQ and DNS UPDATE")
set(CPACK_PACKAGE_DESCRIPTION
    "dnspushd serves DNS zones over UDP, TCP and TLS, takes DNS UPDATEs into a durable
journal, transfers zones (AXFR, IXFR, NOTIFY) and pushes every change to
subscribers over DNS Push Notifications (RFC 8765) and LLQ (RFC 8764). The package
also holds the dnspush client and the dnspushctl control tool.")
# The build directory's binaries carry debug information (RelWithDebInfo); the package's
# do not.
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/dnspush/dnspush")
# Library dependencies from the binaries (dpkg-shlibdeps, in dpkg-dev); the maintainer
# scripts use groupadd/useradd (passwd, always installed).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/contrib/debian/conffiles ${PROJECT_SOURCE_DIR}/contrib/debian/postinst
    ${PROJECT_SOURCE_DIR}/contrib/debian/prerm ${PROJECT_SOURCE_DIR}/contrib/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
