/*
 * Loaded into Debian's simple-whip-client (bookworm) by the WHIP tests, for two reasons of the test machine,
 * not of the client:
 *
 * 1. The client links libsoup2, while libnice links libgupnp-igd, whose libgupnp-1.6 links libsoup3: the
 *    process aborts at start ("libsoup2 symbols detected"). Built as libgupnp-igd-1.0.so.4 and found first
 *    on LD_LIBRARY_PATH, this file stands in for the UPnP port mapper (never used on loopback): libnice gets
 *    no mapper, and libsoup3 never loads.
 * 2. libnice gathers candidates on every interface except loopback, and the tests send traffic only to
 *    loopback. Preloaded, getifaddrs() here hides every address but 127.0.0.1, and shows lo as an ordinary
 *    interface, so the client offers 127.0.0.1 alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

void *gupnp_simple_igd_thread_new(void) { return NULL; }
unsigned long gupnp_simple_igd_get_type(void) { return 0; }
void gupnp_simple_igd_add_port(void) {}
void gupnp_simple_igd_remove_port_local(void) {}

int getifaddrs(struct ifaddrs **out) {
  int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
  int rc = real(out);
  if (rc != 0) return rc;
  /* Entries are blanked, not unlinked: glibc frees the list as the one block its first entry starts. */
  for (struct ifaddrs *ifa = *out; ifa != NULL; ifa = ifa->ifa_next) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ifa->ifa_addr;
    if (in != NULL && in->sin_family == AF_INET && in->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
      ifa->ifa_flags &= ~IFF_LOOPBACK;
    } else {
      ifa->ifa_addr = NULL;
    }
  }
  return 0;
}
