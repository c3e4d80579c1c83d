// The one translation unit that compiles Asio, Asio.SSL and Beast (separate compilation,
// see BOOST_ASIO_SEPARATE_COMPILATION in cmake/dependencies.cmake). Every other file only
// includes their declarations, which keeps the build fast on small machines.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
