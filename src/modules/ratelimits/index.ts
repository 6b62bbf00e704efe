export { OwnRateLimitResolver, RateLimitResolver } from "./ratelimits.resolver";
export { RateLimitService, type Quota } from "./ratelimits.service";
