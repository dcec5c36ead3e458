//! The runtime of a `no_std` plugin (see [`lean_runtime!`](crate::lean_runtime)): a bump
//! allocator, a panic handler that logs and traps, and the `cabi_realloc` export the
//! component model calls to hand the plugin its arguments.
//!
//! Why a bump allocator is the right one here: every request gets a fresh instance that is
//! dropped after one call, so memory is never reused across requests and freeing it one
//! block at a time is wasted work. The allocator hands out memory upwards from the end of
//! the plugin's static data (`__heap_base`), reuses only the most recent block (freed or
//! grown in place), and asks for more wasm pages when it runs out. The host's memory cap
//! bounds the total: past it `memory.grow` fails, the allocation fails, and the instance
//! traps — the request is refused, as for any other plugin failure.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;

/// Bytes in one wasm page.
const PAGE: usize = 64 << 10;

/// The allocator of a `no_std` plugin: memory is only ever handed out, never reused,
/// except for the most recent block.
pub struct BumpAllocator {
    /// The first free byte (0 until the first allocation).
    next: Cell<usize>,
    /// The end of the memory the allocator may use.
    end: Cell<usize>,
}

// SAFETY: a wasm component instance runs on one thread; nothing here is shared.
unsafe impl Sync for BumpAllocator {}

impl BumpAllocator {
    /// An allocator that starts at the plugin's heap base on first use.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            next: Cell::new(0),
            end: Cell::new(0),
        }
    }

    /// Reserves `layout`, growing memory when needed; `None` when memory cannot grow.
    fn bump(&self, layout: Layout) -> Option<usize> {
        if self.end.get() == 0 {
            self.next.set(heap_base());
            self.end.set(memory_end());
        }
        let start = self.next.get().checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let stop = start.checked_add(layout.size())?;
        self.ensure(stop)?;
        self.next.set(stop);
        Some(start)
    }

    /// Makes memory up to `stop` usable.
    fn ensure(&self, stop: usize) -> Option<()> {
        if stop <= self.end.get() {
            return Some(());
        }
        let pages = (stop - self.end.get()).div_ceil(PAGE);
        grow(pages)?;
        self.end.set(memory_end());
        (stop <= self.end.get()).then_some(())
    }
}

unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.bump(layout)
            .map_or(core::ptr::null_mut(), |at| at as *mut u8)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Only the most recent block can be given back.
        if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let at = ptr as usize;
        if at + layout.size() == self.next.get() {
            // The most recent block grows or shrinks in place.
            return match at.checked_add(new_size).and_then(|stop| {
                self.ensure(stop)?;
                Some(stop)
            }) {
                Some(stop) => {
                    self.next.set(stop);
                    ptr
                }
                None => core::ptr::null_mut(),
            };
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        // SAFETY: the caller's contract for `realloc` is that of `alloc` for the new layout.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and at least `min(old, new)` bytes long; a bump
            // allocator never hands out overlapping blocks.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

/// The `cabi_realloc` export: how the host allocates the plugin's arguments in its memory.
///
/// # Safety
///
/// Called only by the component model's canonical ABI, with a pointer it got from this
/// function (or null with `old_len == 0`).
pub unsafe fn cabi_realloc(old: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    let (Ok(old_layout), Ok(new_layout)) = (
        Layout::from_size_align(old_len, align),
        Layout::from_size_align(new_len, align),
    ) else {
        trap()
    };
    if new_len == 0 {
        // A zero-sized value needs no memory, only an aligned, non-null address.
        return align as *mut u8;
    }
    let new = if old_len == 0 {
        // SAFETY: a valid layout of non-zero size.
        unsafe { alloc::alloc::alloc(new_layout) }
    } else {
        // SAFETY: `old` came from this allocator with `old_layout` (the ABI's contract), and
        // `new_len` is non-zero.
        unsafe { alloc::alloc::realloc(old, old_layout, new_len) }
    };
    if new.is_null() {
        trap()
    }
    new
}

/// The panic handler of a `no_std` plugin: logs the message at error level, then traps, so
/// the host refuses the request. A panic while panicking (say, out of memory while
/// formatting the message) traps at once.
pub fn on_panic(info: &core::panic::PanicInfo) -> ! {
    static PANICKING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if !PANICKING.swap(true, core::sync::atomic::Ordering::Relaxed) {
        let message = match info.location() {
            Some(at) => alloc::format!(
                "plugin panicked at {}:{}: {}",
                at.file(),
                at.line(),
                info.message()
            ),
            None => alloc::format!("plugin panicked: {}", info.message()),
        };
        crate::log::error(&message);
    }
    trap()
}

/// Stops the instance; the host sees a trap and fails the request closed.
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

/// The first byte after the plugin's static data and stack, where the heap starts.
fn heap_base() -> usize {
    unsafe extern "C" {
        static __heap_base: u8;
    }
    // Only the symbol's address is taken; the linker defines it for every module.
    core::ptr::addr_of!(__heap_base) as usize
}

/// The end of the memory the instance has now. A full 4 GiB memory does not fit a wasm32
/// `usize`; it saturates one byte short rather than wrapping to 0.
fn memory_end() -> usize {
    core::arch::wasm32::memory_size(0).saturating_mul(PAGE)
}

/// Grows memory by `pages`; `None` when the host's memory cap refuses.
fn grow(pages: usize) -> Option<()> {
    (core::arch::wasm32::memory_grow(0, pages) != usize::MAX).then_some(())
}
