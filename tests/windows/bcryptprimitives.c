/* ProcessPrng for wine 8 (Debian 12), which lacks bcryptprimitives.dll: Rust's standard
 * library takes its random bytes from there on Windows. Forwards to RtlGenRandom
 * (advapi32's SystemFunction036). Only tests/e2e/windows.rs uses it, to run the
 * cross-built binary under wine; real Windows has the DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
