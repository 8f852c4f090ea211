// The single translation unit that compiles Boost.Asio and Boost.Beast
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION): every
// other file includes only their declarations, which keeps both builds fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
