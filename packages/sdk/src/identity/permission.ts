/**
 * Tells whether one granted permission (`resource.action`) covers a required one: `*` covers
 * all, `orders.*` every action on orders, `*.read` reading anything. The one rule the gateway's
 * authorization, identity and a service's `caller.can()` share.
 *
 * @example
 * ```ts
 * permissionCovers('orders.*', 'orders.refund'); // true
 * permissionCovers('orders.read', 'orders.refund'); // false
 * ```
 */
export function permissionCovers(granted: string, required: string): boolean {
  if (granted === '*' || granted === required) return true;
  const [grantedResource, grantedAction] = granted.split('.');
  const [requiredResource, requiredAction] = required.split('.');
  return (
    (grantedResource === '*' || grantedResource === requiredResource) &&
    (grantedAction === '*' || grantedAction === requiredAction)
  );
}
