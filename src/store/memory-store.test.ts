import { MemoryBanStore } from './memory-store.js';
import { defineBanStoreContract } from './store.case.js';

defineBanStoreContract('memory', {
  open: () => new MemoryBanStore(),
  reopen: (s: MemoryBanStore) => {
    s.reopen();
    return s;
  },
});
